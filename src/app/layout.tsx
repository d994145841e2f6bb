import type { Metadata, Viewport } from "next";
import { headers } from "next/headers";

import { TRPCReactProvider } from "~/trpc/react";
import { preferredLocale } from "./_components/format";
import { ReaderLocaleProvider } from "./_components/reader-locale";
import "./globals.css";

export const metadata: Metadata = {
  title: "Live Scoreboard",
  description: "The top 10 players, updated live.",
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
