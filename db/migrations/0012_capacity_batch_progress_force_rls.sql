-- Batch progress (issue 7) is held to its policies even for the owning role.
ALTER TABLE "batch_progress" FORCE ROW LEVEL SECURITY;
