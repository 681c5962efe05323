// Synthetic backup history for the API load benchmark, inserted by one INSERT … SELECT over
// generate_series: rows g in [from, to] spread over the workspace's plans, one backup a minute
// going back in time (1M rows ≈ 2 years), ~97% completed, 2% failed, 1% cancelled, sizes from
// 1 MiB to 10 GiB, artifact keys shaped like a producer's.
import postgres from 'postgres'

export async function seedBackups(databaseUrl: string, params: { workspaceId: string; from: number; to: number }): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  try {
    await sql`
      WITH p AS (
        SELECT array_agg(id ORDER BY id) AS ids, array_agg(destination_id ORDER BY id) AS dests,
               array_agg(type ORDER BY id) AS types, count(*)::int AS n
        FROM plans WHERE workspace_id = ${params.workspaceId}
      ), rows AS (
        SELECT g, 1 + g % p.n AS k, p.ids, p.dests, p.types,
               now() - make_interval(mins => g) - make_interval(secs => (g::bigint * 7919) % 50) AS created,
               CASE WHEN g % 100 < 2 THEN 'failed' WHEN g % 100 = 2 THEN 'cancelled' ELSE 'completed' END AS status,
               (1048576 + (g::bigint * 2654435761) % 10737418240) AS size
        FROM p, generate_series(${params.from}::int, ${params.to}::int) AS g
      )
      INSERT INTO backups (workspace_id, plan_id, destination_id, status, format, artifact_key, size_bytes, created_at, started_at, completed_at, error_code, error_message)
      SELECT ${params.workspaceId}, ids[k], dests[k], status,
             CASE WHEN types[k] = 'database' THEN 'pg_custom' ELSE 'tar_gz' END,
             'plan-' || k || '/' || to_char(created, 'YYYY/MM/DD/HH24MISS') || '-' || g || CASE WHEN types[k] = 'database' THEN '.dump' ELSE '.tar.gz' END,
             CASE WHEN status = 'completed' THEN size END,
             created, created + interval '1 second',
             created + interval '1 second' + make_interval(secs => size / 104857600),
             CASE WHEN status = 'failed' THEN 'pg_dump_failed' END,
             CASE WHEN status = 'failed' THEN 'pg_dump exited with code 1' END
      FROM rows`
    await sql`VACUUM ANALYZE backups`
  } finally {
    await sql.end()
  }
}
