// The scratch target of a drill (DESIGN.md "Drills"): `drill_<first 8 hex of the plan id>_<yyyymmddhhmmss>`
// (UTC), a database on the drill's server or a folder in the workspace's restore folder.
export function drillScratchName(planId: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14)
  return `drill_${planId.replace(/-/g, '').slice(0, 8).toLowerCase()}_${stamp}`
}
