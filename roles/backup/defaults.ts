import { TEXTFILE_DIR } from '../docker-stack/templates/monitoring.ts';

/** What each schedule runs and when (systemd OnCalendar); the sets are the seed's table: appdata daily, photos and media weekly. */
export const DEFAULT_CALENDAR = {
  appdata: '*-*-* 03:00:00',
  photos: 'Sun *-*-* 04:00:00',
  media: 'Sun *-*-* 05:00:00',
  check: 'Sat *-*-* 05:00:00',
  drill: '*-*-01 06:00:00',
};

/** Immich's documented dump command (its Postgres container is named immich_postgres by role docker-stack). */
export const DOCKER_DB_DUMP = 'docker exec immich_postgres pg_dump --clean --if-exists --dbname=immich --username=postgres';

/**
 * Loads a dump read on stdin into a throwaway container of the very image the live database runs (it has the vector
 * extensions the dump creates), then removes it with its anonymous volume. ON_ERROR_STOP: any SQL error fails it.
 * Not runnable where there is no Docker (the tests use Debian's PostgreSQL through backup_db_restore_command).
 */
export const DOCKER_DB_RESTORE = [
  'set -eu',
  "image=$(docker inspect --format '{{.Config.Image}}' immich_postgres)",
  'name=msh-restore-drill-$$',
  'docker run -d --rm --name "$name" -e POSTGRES_PASSWORD=drill -e POSTGRES_DB=immich "$image" >/dev/null',
  'trap \'docker rm -f "$name" >/dev/null 2>&1 || true\' EXIT',
  // The image's entrypoint first runs a temporary server without TCP: only the real one answers on 127.0.0.1.
  'i=0; until docker exec "$name" pg_isready -q -h 127.0.0.1 -U postgres -d immich; do i=$((i+1)); [ "$i" -lt 90 ] || { echo "the throwaway Postgres did not start in 3 minutes" >&2; exit 1; }; sleep 2; done',
  // As Immich's own restore instructions do: the dump's empty search_path breaks the vector extensions' objects.
  `sed "s/SELECT pg_catalog.set_config('search_path', '', false);/SELECT pg_catalog.set_config('search_path', 'public, pg_catalog', true);/g" | docker exec -i "$name" psql -X -q -v ON_ERROR_STOP=1 -U postgres -d immich >/dev/null`,
].join('\n');

export const defaults = {
  backup_repository: '/mnt/tank/backups/restic',
  backup_offsite_repository: '',
  backup_offsite_env: {} as Record<string, string>,
  backup_appdata_paths: ['/mnt/tank/appdata'] as string[],
  backup_photos_paths: ['/mnt/tank/photos'] as string[],
  backup_media_paths: ['/mnt/tank/media'] as string[],
  backup_exclude: ['/mnt/tank/appdata/jellyfin/cache'] as string[],
  backup_on_calendar: { ...DEFAULT_CALENDAR } as Record<string, string>,
  backup_keep_daily: 7,
  backup_keep_weekly: 4,
  backup_keep_monthly: 6,
  backup_check_subset: '5%',
  backup_db_dump_command: DOCKER_DB_DUMP,
  backup_db_dump_dir: '/mnt/tank/appdata/backups/immich-db',
  backup_db_dump_keep_days: 14,
  backup_db_restore_command: DOCKER_DB_RESTORE,
  backup_drill_sample_files: 20,
  backup_metrics_dir: TEXTFILE_DIR,
};

export const docs = {
  backup_repository: {
    description:
      'The local restic repository on the VM (on the pool: it does not survive losing the pool — add an off-site one). Made once; an existing repository is adopted, never re-initialised. Its password is RESTIC_PASSWORD in .env (generated on the first run when missing).',
  },
  backup_offsite_repository: {
    description: 'Optional second repository, off the box, backed up on the same schedules: a reference to .env such as "${RESTIC_OFFSITE_REPOSITORY}" holding e.g. s3:s3.amazonaws.com/bucket/restic or b2:bucket:restic. Same password as the local one.',
  },
  backup_offsite_env: {
    description: 'Credentials of the off-site repository, each a reference to .env: { AWS_ACCESS_KEY_ID: "${AWS_ACCESS_KEY_ID}", AWS_SECRET_ACCESS_KEY: "${AWS_SECRET_ACCESS_KEY}" } for S3, { B2_ACCOUNT_ID: …, B2_ACCOUNT_KEY: … } for B2. Stored on the VM in a root-only file.',
  },
  backup_appdata_paths: { description: 'What the daily appdata backup saves (the Immich database dump directory is added when outside them). An empty list turns the schedule off.' },
  backup_photos_paths: { description: 'What the weekly photos backup saves. An empty list turns the schedule off.' },
  backup_media_paths: { description: 'What the weekly media backup saves. An empty list turns the schedule off (media you can download again need not be backed up).' },
  backup_exclude: { description: 'restic --exclude patterns for every set (directories tagged with CACHEDIR.TAG are always left out).' },
  backup_on_calendar: { description: 'When each schedule runs, as systemd OnCalendar expressions: appdata, photos, media, check, drill. Entries you leave out keep their default.' },
  backup_keep_daily: { description: 'forget --keep-daily: daily snapshots kept per set.' },
  backup_keep_weekly: { description: 'forget --keep-weekly: weekly snapshots kept per set.' },
  backup_keep_monthly: { description: 'forget --keep-monthly: monthly snapshots kept per set.' },
  backup_check_subset: { description: "The share of the repository's data the weekly check reads back (restic check --read-data-subset): 5%, 1/10, 2G…" },
  backup_db_dump_command: { description: "Prints Immich's database as plain SQL on stdout; run before each appdata backup and gzipped. Empty: no database dump." },
  backup_db_dump_dir: { description: 'Where the gzipped database dumps go (immich-<time>.sql.gz, mode 0600); part of the appdata backup.' },
  backup_db_dump_keep_days: { description: 'Dumps older than this many days are removed (the newest is always kept); restic keeps older ones in its snapshots.' },
  backup_db_restore_command: { description: 'The restore drill pipes the latest dump (plain SQL) into this command, which must load it into a throwaway Postgres and fail on any error. The default starts a temporary container of the image immich_postgres runs.' },
  backup_drill_sample_files: { description: 'How many files of each set the restore drill restores and compares with the originals.' },
  backup_metrics_dir: { description: "node-exporter's textfile directory: each schedule writes msh-backup-<schedule>.prom there." },
};
