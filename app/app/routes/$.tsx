import { notFound } from "../errors.server";

/** Any unknown path: the root error boundary shows the friendly 404 page. */
export function loader() {
  notFound();
}

export default function NotFound() {
  return null;
}
