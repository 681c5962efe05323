// Authentication under abuse and in daily use: an address that keeps presenting bad tokens is
// answered 429 with Retry-After (and nothing is looked up for it) until its window ends, while
// other callers are unaffected; a token's lastUsedAt is recorded, at most once a minute.
import t from 'tap'
import { seedTeam, startApi } from './support/api-harness.js'

const h = await startApi(t, { AUTH_FAILURE_LIMIT: 5, AUTH_FAILURE_WINDOW_SECONDS: 2 })
const team = await seedTeam(h)

async function lastUsedAt(): Promise<string | null> {
  const [row] = await h.database.sql<{ last_used_at: string | null }[]>`
    SELECT last_used_at::text FROM api_tokens WHERE user_id = ${team.operator.userId}`
  return row?.last_used_at ?? null
}

t.test('a token records when it was last used, written at most once a minute', async (t) => {
  t.equal(await lastUsedAt(), null, 'never used yet')
  t.equal((await h.client(team.operator.token).GET('/v1/me')).response.status, 200)
  const first = await lastUsedAt()
  t.ok(first, `lastUsedAt set on first use (${first})`)
  t.equal((await h.client(team.operator.token).GET('/v1/me')).response.status, 200)
  t.equal(await lastUsedAt(), first, 'a second request within the minute does not write it again')
})

t.test('repeated failed authentications from one address get 429 with Retry-After until the window ends', async (t) => {
  const bad = h.client('dp_not_a_real_token')
  for (let i = 0; i < 5; i++) t.equal((await bad.GET('/v1/me')).response.status, 401, `failure ${i + 1} is a 401`)
  const refused = await bad.GET('/v1/me')
  t.equal(refused.response.status, 429, 'the next one is refused')
  t.match(refused.response.headers.get('content-type'), /^application\/problem\+json/)
  const retryAfter = Number(refused.response.headers.get('retry-after'))
  t.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${retryAfter} s is within the window`)
  t.equal((refused.error as { code?: string } | undefined)?.code, 'too_many_requests')
  const valid = await h.client(team.operator.token).GET('/v1/me')
  t.equal(valid.response.status, 429, 'a blocked address is refused even with a valid token')
  // Wait out the window (2 s): the block is time-based by design.
  await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100))
  t.equal((await h.client(team.operator.token).GET('/v1/me')).response.status, 200, 'after the window the address may try again')
})
