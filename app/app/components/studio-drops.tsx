import { Form, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { useT } from "../i18n/react";

/** Pieces shared by the creator's drop screens (studio/:creatorSlug/drops…). */

/** Reloads the page's data every few seconds while it is visible (live sell-through). */
export function useLiveRefresh(seconds = 5) {
  const { revalidate } = useRevalidator();
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") revalidate();
    }, seconds * 1000);
    return () => clearInterval(timer);
  }, [revalidate, seconds]);
}

export function PublishButton({ dropId, isPublished }: { dropId: string; isPublished: boolean }) {
  const t = useT();
  return (
    <Form method="post">
      <input type="hidden" name="intent" value="publish" />
      <input type="hidden" name="dropId" value={dropId} />
      <input type="hidden" name="isPublished" value={String(!isPublished)} />
      <button type="submit" className={isPublished ? "secondary" : undefined}>
        {t(isPublished ? "studioDrops.withdraw" : "studioDrops.publish")}
      </button>
    </Form>
  );
}
