"use client";

import { signIn, signOut } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

type Intent = "signin" | "signup";

/** next-auth reports failures as short codes (AUTH_ERRORS in ~/server/auth/credentials); people get sentences. */
const SIGN_IN_ERRORS: Record<string, string> = {
  CredentialsSignin: "Wrong username or password.",
  USERNAME_TAKEN: "That username is taken. Choose another, or sign in if it is yours.",
  INVALID_INPUT: "Usernames are 3–32 letters, digits or underscores; passwords are 8–128 characters.",
  RATE_LIMITED: "Too many attempts. Wait a while and try again.",
  UNAVAILABLE: "Signing in is briefly unavailable. Try again in a moment.",
};

export function AccountPanel({ user }: { user: { name: string; username: string } | null }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  if (user) {
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
      onSubmit={(event) => {
        event.preventDefault();
        const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
        submit(submitter?.value === "signup" ? "signup" : "signin", event.currentTarget);
      }}
    >
      <label>
        Username
        <input name="username" autoComplete="username" required minLength={3} maxLength={32} pattern="[A-Za-z0-9_]+" />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required minLength={8} maxLength={128} />
      </label>
      <div className="actions">
        <button type="submit" name="intent" value="signin" disabled={pending}>
          Sign in
        </button>
        <button type="submit" name="intent" value="signup" disabled={pending} className="secondary">
          Create account
        </button>
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </form>
  );
}
