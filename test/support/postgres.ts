/**
 * A throwaway PostgreSQL cluster for the test process: Debian's server binaries (installed by
 * scripts/system-deps.sh) run `initdb` in a temp folder and `pg_ctl start` on a free port, with
 * durability off (fsync, synchronous_commit, full_page_writes) since the data dies with the run.
 * `bun test` runs every file in one process, so the cluster is started once (a module-level
 * promise) and each test file asks `createDatabase()` for a database of its own.
 *
 * As root (CI, containers) the server runs as the `postgres` user, which PostgreSQL insists on;
 * otherwise as the current user. The cluster is stopped (`pg_ctl stop -m immediate`) and its folder
 * removed when the process ends, however it ends (failing tests, Ctrl-C, SIGKILL), by a small cleaner
 * process that notices the end, so no server outlives the run.
 */

import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SQL } from 'bun'

export interface TestCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: the maintenance database, for admin work. */
  url: string
  port: number
  /** The temp folder holding the data directory, the socket and the server log. */
  dir: string
  /** How long `initdb` and `pg_ctl start` took, in milliseconds. */
  timings: { initdbMs: number; startMs: number }
}

const PORT_ATTEMPTS = 3

let cluster: Promise<TestCluster> | null = null

/** The cluster of this test process, started on first use. */
export function testCluster(): Promise<TestCluster> {
  cluster ??= Promise.resolve().then(startCluster)
  return cluster
}

/**
 * A fresh, empty database on the test cluster (`CREATE DATABASE t_<random>`) and its URL. Each test
 * file takes its own, so files never see each other's rows; all of them go with the cluster.
 */
export async function createDatabase(): Promise<string> {
  const { url } = await testCluster()
  const name = `t_${crypto.randomUUID().replaceAll('-', '')}`
  const admin = new SQL(url, { max: 1 })
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`)
  } finally {
    await admin.close()
  }
  return url.replace(/\/postgres$/, `/${name}`)
}

/** A promise and the function that resolves it: to hold a transaction open at a chosen point. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

/**
 * Resolves once `count` sessions of the client's database wait for a lock, so a test can force an
 * interleaving by state, never by time.
 */
export async function lockWaiters(client: SQL, count: number): Promise<void> {
  for (;;) {
    const [row] = await client<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`
    if ((row?.n ?? 0) >= count) return
    await Bun.sleep(5)
  }
}

/** The newest PostgreSQL server installed by Debian's packages (/usr/lib/postgresql/<major>/bin). */
function serverBinaries(): string {
  const root = '/usr/lib/postgresql'
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (majors.length === 0) {
    throw new Error(`no PostgreSQL server in ${root}: run scripts/system-deps.sh (Debian's postgresql)`)
  }
  return join(root, majors[0]!, 'bin')
}

/** uid/gid of the `postgres` user when we are root (initdb refuses to run as root), else null. */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'))
  const [, , uid, gid] = line?.split(':') ?? []
  if (uid === undefined || gid === undefined) {
    throw new Error('running as root, but there is no postgres user to run the server (Debian creates one)')
  }
  return { uid: Number(uid), gid: Number(gid) }
}

function run(command: string[], asPostgres: boolean, cwd: string): void {
  const argv = asPostgres ? ['runuser', '-u', 'postgres', '--', ...command] : command
  const result = Bun.spawnSync(argv, { cwd, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  if (result.exitCode !== 0) {
    throw new Error(
      `${command.slice(0, 2).join(' ')} failed (${result.exitCode}): ${result.stderr.toString()}`,
    )
  }
}

function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
  const port = probe.port as number
  probe.stop(true)
  return port
}

function startCluster(): TestCluster {
  const bin = serverBinaries()
  const user = serverUser()
  const dir = mkdtempSync(join(tmpdir(), 'okb-pg-'))
  if (user) chownSync(dir, user.uid, user.gid)
  const data = join(dir, 'data')
  const log = join(dir, 'server.log')
  const cleanUp = () => {
    if (existsSync(join(data, 'postmaster.pid'))) {
      const argv = [join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop']
      Bun.spawnSync(user ? ['runuser', '-u', 'postgres', '--', ...argv] : argv, {
        cwd: dir,
        stdout: 'ignore',
        stderr: 'ignore',
      })
    }
    rmSync(dir, { recursive: true, force: true })
  }
  startCleaner(join(bin, 'pg_ctl'), data, dir, user !== null)

  try {
    let started = performance.now()
    // --no-sync: initdb's own fsyncs are most of its time; this cluster is thrown away anyway.
    run(
      [
        join(bin, 'initdb'),
        '-D',
        data,
        '-A',
        'trust',
        '-U',
        'postgres',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
      ],
      user !== null,
      dir,
    )
    const initdbMs = performance.now() - started
    for (let attempt = 1; ; attempt++) {
      const port = freePort()
      const options = [
        `-p ${port}`,
        `-k ${dir}`,
        '-c listen_addresses=127.0.0.1',
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
      ].join(' ')
      started = performance.now()
      try {
        run([join(bin, 'pg_ctl'), '-D', data, '-l', log, '-o', options, '-w', 'start'], user !== null, dir)
      } catch (error) {
        // Another process may have taken the port between the probe and the bind: try another.
        if (attempt >= PORT_ATTEMPTS) {
          const serverLog = existsSync(log) ? readFileSync(log, 'utf8') : ''
          throw new Error(`${(error as Error).message}\nserver log:\n${serverLog}`)
        }
        continue
      }
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        port,
        dir,
        timings: { initdbMs, startMs: performance.now() - started },
      }
    }
  } catch (error) {
    cleanUp()
    throw error
  }
}

/**
 * The cleaner: a detached shell that checks every 200 ms whether this process still exists and,
 * once it is gone, stops the server and removes the folder. That covers every way a test run ends —
 * normally (bun test emits no 'exit' event, so an exit handler would not run), failing tests,
 * Ctrl-C, SIGKILL. Detached (`setsid`, started by a launcher that exits at once) because bun test
 * kills the processes a timed-out test spawned, and Ctrl-C signals the whole foreground group; a pipe
 * closing at our exit would be neater, but Bun closes a child's stdin when that child exits.
 */
function startCleaner(pgCtl: string, data: string, dir: string, asPostgres: boolean): void {
  const stopServer = `${asPostgres ? 'runuser -u postgres -- ' : ''}"$2" -D "$3" -m immediate stop`
  // Alive: /proc/<pid> exists and is no zombie (a killed process stays one until its parent reaps it).
  const alive = `state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) && [ "\${state%% *}" != Z ]`
  const clean = `while ${alive}; do sleep 0.2; done; [ -f "$3/postmaster.pid" ] && ${stopServer}; rm -rf "$4"`
  const launch = `setsid sh -c "$0" okb-pg-cleaner "$1" "$2" "$3" "$4" </dev/null >/dev/null 2>&1 &`
  const launcher = Bun.spawnSync(['sh', '-c', launch, clean, String(process.pid), pgCtl, data, dir], {
    cwd: '/',
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'ignore',
  })
  if (launcher.exitCode !== 0) throw new Error('could not start the cleaner of the test cluster')
}
