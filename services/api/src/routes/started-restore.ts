// How every "start a restore" operation answers: 202 with the new pending restore, or 200 with
// the restore an identical earlier request (same Idempotency-Key and body) already started.
import type { FastifyReply } from 'fastify'
import type { StartRestoreResult } from '../use-cases/restore-idempotency.js'

export function replyStarted(reply: FastifyReply, result: StartRestoreResult) {
  if (result.replayed) return reply.code(200).header('idempotent-replayed', 'true').send(result.restore)
  return reply.code(202).send(result.restore)
}
