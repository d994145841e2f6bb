"use client";

import { useState } from "react";

import { api } from "~/trpc/react";
import { describeError } from "./error-messages";
import { useFormat } from "./reader-locale";

/** Change the name others see, or leave the public board while keeping one's score. */
export function ProfileForm() {
  const utils = api.useUtils();
  const format = useFormat();
  // The profile is the same in every window; all time's standing is the one the page always loads.
  const [me] = api.leaderboard.me.useSuspenseQuery({ window: "all" });
  const [message, setMessage] = useState<string | null>(null);
  const update = api.account.update.useMutation({
    onSuccess: (profile) => {
      setMessage(profile.hidden ? "Saved. You are hidden from the board." : "Saved.");
      void utils.leaderboard.me.invalidate();
    },
    onError: (error) => setMessage(error.data?.fieldErrors?.displayName?.[0] ? `Display name ${error.data.fieldErrors.displayName[0]}.` : describeError(error, format)),
  });

  return (
    <section className="card" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          const data = new FormData(event.currentTarget);
          update.mutate({ displayName: String(data.get("displayName")), hidden: data.get("hidden") === "on" });
        }}
      >
        <label>
          Display name <input name="displayName" defaultValue={me.displayName} required maxLength={32} />
        </label>
        <label className="choice">
          <input type="checkbox" name="hidden" defaultChecked={me.hidden} /> Hide me from the board
        </label>
        <button type="submit" disabled={update.isPending}>
          Save
        </button>
      </form>
      {/* Always there, so that assistive technology hears what appears in it. */}
      <p role="status" className={message ? "muted" : "visually-hidden"}>
        {message}
      </p>
    </section>
  );
}
