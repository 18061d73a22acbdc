import { afterAll } from "vitest";
import { closeTestRuntime } from "./runtime";

afterAll(closeTestRuntime);
