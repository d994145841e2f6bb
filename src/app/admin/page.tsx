import { notFound, redirect } from "next/navigation";

import { getServerAuthSession } from "~/server/auth";
import { isActiveAdmin } from "~/server/auth/accounts";
import { services } from "~/server/composition-root";
import { AdminConsole } from "./admin-console";

export const dynamic = "force-dynamic";

export const metadata = { title: "Admin · Live Scoreboard" };

/** The admin console; for anyone but a current administrator it does not exist. */
export default async function AdminPage() {
  const session = await getServerAuthSession();
  if (!session) redirect("/");
  if (!(await isActiveAdmin(services.db, session.user.id))) notFound();
  return (
    <main className="page">
      <header className="page-header">
        <h1>Admin</h1>
        <a href="/">Back to the board</a>
      </header>
      <AdminConsole />
    </main>
  );
}
