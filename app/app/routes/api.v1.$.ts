import { apiNotFound } from "../api.server";

/** Unknown API paths answer in the API's error shape, not with the HTML 404 page. */
export const loader = apiNotFound;
export const action = apiNotFound;
