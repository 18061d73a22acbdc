import { afterAll } from "vitest";
import { setPasswordHashingParams, TEST_ARGON2 } from "@kiln/auth";
import { closeTestRuntime } from "./runtime";

// Cheap argon2id parameters, in tests only.
setPasswordHashingParams(TEST_ARGON2);
afterAll(closeTestRuntime);
