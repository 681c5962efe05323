// Installs pg-boss's schema and the queues (restore, backup-validation) into a database ahead of time (the test
// template), so each test database cloned from it starts with the queue ready.
import { createBoss, ensureQueues } from '@devpilot/queue'

export async function installQueueSchema(url: string): Promise<void> {
  const boss = createBoss({ url, max: 1, onError: (error) => console.error('[queue-schema]', error) })
  await boss.start()
  await ensureQueues(boss)
  await boss.stop({ graceful: false, close: true })
}
