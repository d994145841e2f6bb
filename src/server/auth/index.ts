import { cookies } from "next/headers";
import { cache } from "react";

import { readSession } from "./session";

/** The session of the current request (route handler or server component), read once per request (see readSession). */
export const getServerAuthSession = cache(async () => readSession((await cookies()).getAll()));
