import type { Metadata, Viewport } from "next";
import { headers } from "next/headers";

import { env } from "~/env.js";
import { TRPCReactProvider } from "~/trpc/react";
import { preferredLocale } from "./_components/format";
import { ReaderLocaleProvider } from "./_components/reader-locale";
import "./globals.css";

export const metadata: Metadata = {
  title: "Live Scoreboard",
  description: "The top 10 players, updated live.",
  // Where a shared link's preview fetches the board's picture (opengraph-image.tsx): this
  // deployment's own address. Left unset, Next.js writes http://localhost:<port> outside Vercel.
  ...(env.NEXTAUTH_URL ? { metadataBase: new URL(env.NEXTAUTH_URL) } : {}),
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: Readonly<{ children: React.ReactNode }>) {
  // Numbers in the reader's locale, the same in the server's HTML and the browser's hydration.
  const locale = preferredLocale((await headers()).get("accept-language"));
  return (
    <html lang="en">
      <body>
        <ReaderLocaleProvider locale={locale}>
          <TRPCReactProvider>{children}</TRPCReactProvider>
        </ReaderLocaleProvider>
      </body>
    </html>
  );
}
