export const defaults = {
  timezone: 'Etc/UTC',
  base_packages: ['ca-certificates', 'curl', 'cron'],
  cron_log_level: 1,
  journald_max_use: '200M',
};

export const docs = {
  timezone: { description: 'Time zone from the tz database, e.g. Europe/Paris.' },
  base_packages: { description: 'Debian/Ubuntu packages every host gets.' },
  cron_log_level: { description: "cron's -L log level (1 start of jobs, 2 end, 4 failed; add them up)." },
  journald_max_use: { description: 'Cap on the systemd journal size (SystemMaxUse), e.g. 200M.' },
};
