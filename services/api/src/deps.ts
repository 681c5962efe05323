// What route plugins and use-cases receive from buildApp: handles opened once at start-up.
import type { ApiConfig } from '@devpilot/config'
import type { Database } from '@devpilot/db'
import type { SecretBox } from '@devpilot/secrets'
import type { PgBoss } from 'pg-boss'

export interface AppDeps {
  config: Pick<ApiConfig, 'RESTORE_PATH_ROOTS' | 'LOCAL_DESTINATION_ROOTS' | 'IDEMPOTENCY_KEY_TTL_SECONDS' | 'UPLOAD_MAX_BYTES'> &
    Partial<Pick<ApiConfig, 'WEBHOOK_ALLOW_PRIVATE_NETWORKS'>>
  database: Database
  boss: PgBoss
  box: SecretBox
}
