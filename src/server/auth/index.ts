import { getServerSession } from "next-auth";
import { cache } from "react";

import { authOptions } from "./config";

/** The session of the current request (route handler or server component), read once per request. */
export const getServerAuthSession = cache(() => getServerSession(authOptions));
