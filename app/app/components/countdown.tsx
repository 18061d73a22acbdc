import { useEffect, useState } from "react";
import { useT } from "../i18n/react";

/** "2d 03:04:05": days, then hours, minutes and seconds. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86_400);
  const clock = [Math.floor((total % 86_400) / 3600), Math.floor((total % 3600) / 60), total % 60]
    .map((n) => String(n).padStart(2, "0"))
    .join(":");
  return days ? `${days}d ${clock}` : clock;
}

/**
 * Time until an upcoming drop opens, ticking in the browser from the server's clock (Kiln's clock,
 * which tests move), so the first render matches the server's.
 */
export function OpensCountdown({ opensAt, now }: { opensAt: string | Date; now: string }) {
  const t = useT();
  const target = new Date(opensAt).getTime();
  const [left, setLeft] = useState(() => target - new Date(now).getTime());
  useEffect(() => {
    const offset = new Date(now).getTime() - Date.now();
    const timer = setInterval(() => setLeft(target - (Date.now() + offset)), 1000);
    return () => clearInterval(timer);
  }, [target, now]);
  if (left <= 0) return null;
  return (
    <p data-opens-countdown="" className="countdown">
      {t("storefront.opensIn", { time: formatCountdown(left) })}
    </p>
  );
}
