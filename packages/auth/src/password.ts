import { hash, verify, type Options } from "@node-rs/argon2";

/** argon2id parameters: OWASP's minimum for production; tests pass cheap ones (never production). */
export const PRODUCTION_ARGON2: Options = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };
export const TEST_ARGON2: Options = { algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 };

let params: Options = PRODUCTION_ARGON2;

/** Called once at boot (tests: TEST_ARGON2). */
export function setPasswordHashingParams(next: Options): void {
  params = next;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, params);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
