import { index, route, type RouteConfig } from "@remix-run/route-config";

export default [
  index("routes/index.tsx"),
  route("signup", "routes/signup.tsx"),
  route("check-email", "routes/check-email.tsx"),
  route("verify-email", "routes/verify-email.tsx"),
  route("login", "routes/login.tsx"),
  route("logout", "routes/logout.tsx"),
  route("forgot-password", "routes/forgot-password.tsx"),
  route("reset-password", "routes/reset-password.tsx"),
  route("language", "routes/language.tsx"),
  route("home", "routes/home.tsx"),
  route("account", "routes/account.tsx"),
  route("invitations/accept", "routes/invitations.accept.tsx"),
  route("coop/:coopSlug", "routes/coop.$coopSlug.tsx"),
  route("review/:coopSlug", "routes/review.$coopSlug.tsx"),
  route("studio/:creatorSlug", "routes/studio.$creatorSlug.tsx"),
  route("factory/:factoryId", "routes/factory.$factoryId.tsx"),
  route("dev/mail", "routes/dev.mail.tsx"),
  route("dev/mail/:id", "routes/dev.mail.$id.tsx"),
  // JSON API (resource routes)
  route("api/v1/openapi.json", "routes/api.v1.openapi.ts"),
  route("api/v1/me", "routes/api.v1.me.ts"),
  route("api/v1/tokens", "routes/api.v1.tokens.ts"),
  route("api/v1/tokens/:id", "routes/api.v1.tokens.$id.ts"),
  route("api/v1/*", "routes/api.v1.$.ts"),
  route("*", "routes/$.tsx"),
] satisfies RouteConfig;
