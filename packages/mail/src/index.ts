export { enqueueEmail, EnqueueEmailSchema, type EnqueueEmailInput } from "./outbox";
export {
  claimOutbox,
  deliverOutbox,
  retryDelaySeconds,
  type DeliverOptions,
  type DeliverResult,
} from "./deliver-outbox";
export {
  createMailTransport,
  listLocalMail,
  readLocalMail,
  type LocalMail,
  type MailTransport,
  type MailTransportOptions,
  type OutgoingMail,
} from "./transport";
