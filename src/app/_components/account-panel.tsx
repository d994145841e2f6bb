"use client";

import { signIn, signOut } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useRef, useState, useTransition } from "react";

type Intent = "signin" | "signup";

/** next-auth reports failures as short codes (AUTH_ERRORS in ~/server/auth/credentials); people get sentences. */
const SIGN_IN_ERRORS: Record<string, string> = {
  CredentialsSignin: "Wrong username or password.",
  USERNAME_TAKEN: "That username is taken. Choose another, or sign in if it is yours.",
  INVALID_INPUT: "Usernames are 3–32 letters, digits or underscores; passwords are 8–128 characters.",
  RATE_LIMITED: "Too many attempts. Wait a while and try again.",
  UNAVAILABLE: "Signing in is briefly unavailable. Try again in a moment.",
};

const BUTTONS: Record<Intent, string> = { signin: "Sign in", signup: "Create account" };

/**
 * Who is signed in, or the way in: a username and password (signing in, or creating an account),
 * and GitHub when the server has it configured (`githubSignIn`).
 */
export function AccountPanel({ user, githubSignIn = false }: { user: { name: string; username: string } | null; githubSignIn?: boolean }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();

  if (!user) return <AccountForm githubSignIn={githubSignIn} />;
  return (
    <div className="account">
      <p>
        Signed in as <strong data-testid="signed-in-name">{user.name}</strong>
      </p>
      <button
        type="button"
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            await signOut({ redirect: false });
            router.refresh();
          })
        }
      >
        Sign out
      </button>
    </div>
  );
}

/**
 * One form for both ways in. Its mode says which the password is, for password managers: an
 * existing one (`current-password`) or a new one to suggest and save (`new-password`). The other
 * way's button submits as that way when the form is filled in, and otherwise switches the mode,
 * so "Create account" on an empty form sets it up for a new account.
 */
function AccountForm({ githubSignIn }: { githubSignIn: boolean }) {
  const router = useRouter();
  const [mode, setMode] = useState<Intent>("signin");
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const username = useRef<HTMLInputElement>(null);
  const other: Intent = mode === "signin" ? "signup" : "signin";

  function submit(intent: Intent, form: HTMLFormElement) {
    const data = new FormData(form);
    setError(null);
    startTransition(async () => {
      const result = await signIn("credentials", {
        redirect: false,
        username: String(data.get("username") ?? ""),
        password: String(data.get("password") ?? ""),
        intent,
      });
      if (!result || result.error) {
        setError(SIGN_IN_ERRORS[result?.error ?? ""] ?? "Sign-in failed. Try again.");
        return;
      }
      router.refresh();
    });
  }

  return (
    <form
      className="account sign-in"
      aria-label="Sign in or create an account"
      data-mode={mode}
      onSubmit={(event) => {
        event.preventDefault();
        submit(mode, event.currentTarget);
      }}
    >
      <label>
        Username
        <input ref={username} name="username" autoComplete="username" required minLength={3} maxLength={32} pattern="[A-Za-z0-9_]+" />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete={mode === "signup" ? "new-password" : "current-password"}
          aria-describedby={mode === "signup" ? "new-account-hint" : undefined}
          required
          minLength={8}
          maxLength={128}
        />
      </label>
      <div className="actions">
        <button type="submit" disabled={pending}>
          {BUTTONS[mode]}
        </button>
        <button
          type="button"
          disabled={pending}
          className="secondary"
          onClick={(event) => {
            const form = event.currentTarget.form!;
            if (form.checkValidity()) return submit(other, form);
            setError(null);
            setMode(other);
            username.current?.focus();
          }}
        >
          {BUTTONS[other]}
        </button>
        {githubSignIn ? (
          <button type="button" disabled={pending} className="secondary" onClick={() => void signIn("github")}>
            Sign in with GitHub
          </button>
        ) : null}
      </div>
      {mode === "signup" ? (
        <p id="new-account-hint" className="hint">
          New account: a username of 3–32 letters, digits or underscores, and a password of at least 8 characters.
        </p>
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </form>
  );
}
