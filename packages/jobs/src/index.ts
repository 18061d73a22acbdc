export { createJobs, type CreateJobsOptions, type Job, type JobHandler, type Jobs, type RegisterOptions } from "./jobs";
export { QUEUES, type QueueName } from "./queues";
export { createPgBossDb, type PgBossDb, type SqlResult } from "./sql-adapter";
