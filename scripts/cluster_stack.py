"""The scale-out topology on loopback: PostgreSQL, Redis, the action server,
two Rasa replicas on endpoints-cluster.yml and nginx in front.

scripts/cluster.sh (make cluster) runs it until Ctrl-C; tests/test_cluster.py
drives it (stop PostgreSQL or Redis, kill a replica). Every service runs from
Debian's packages (redis-server, postgresql, nginx) in a fresh temporary
directory on free ports, so nothing touches the system's own instances and no
systemd is needed. Passwords and the action-server token are random per run.
Processes are started by scripts/harness.py.

    .venv/bin/python -m scripts.cluster_stack [--port 5080] [--logs logs/cluster]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import pathlib
import pwd
import secrets
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time

from scripts.harness import ROOT, Service, free_port, rasa_server, start_action_server

ENDPOINTS = ROOT / "endpoints-cluster.yml"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
# After a replica dies holding a conversation's lock, the next message of that
# conversation waits this long on the survivor (Rasa's default is 60 s). Every
# turn is processed within a few seconds (actions time out after 2.5 s).
TICKET_LOCK_LIFETIME = "20"
REQUIRED = ("redis-server", "nginx", "initdb", "postgres")


def postgres_bin(name: str) -> str | None:
    """Debian keeps initdb/postgres out of PATH, under /usr/lib/postgresql/<v>/bin."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    return found[-1] if found else shutil.which(name)


def missing_programs() -> list[str]:
    """Names of the system programs this cluster needs and cannot find."""
    finders = {"initdb": postgres_bin, "postgres": postgres_bin}
    return [n for n in REQUIRED if not finders.get(n, shutil.which)(n)]


class Cluster:
    """Starts and stops the pieces; attributes give their ports and processes."""

    def __init__(self, log_dir: pathlib.Path, nginx_port: int | None = None, replicas: int = 2):
        self.log_dir = pathlib.Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.data: pathlib.Path | None = None  # made by start(), removed by stop()
        self.ports = {
            "nginx": nginx_port or free_port(),
            "postgres": free_port(),
            "redis": free_port(),
            "actions": free_port(),
            "rasa": [free_port() for _ in range(replicas)],
            # One Prometheus port per replica: each process counts only its own turns.
            "metrics": [free_port() for _ in range(replicas)],
        }
        self.env = {
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.ports['actions']}/webhook",
            "ACTION_SERVER_TOKEN": secrets.token_urlsafe(24),
            "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": str(self.ports["postgres"]),
            "POSTGRES_DB": "rasa",
            "POSTGRES_USER": "rasa",
            "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(self.ports["redis"]),
            "REDIS_PASSWORD": secrets.token_urlsafe(16),
            "TICKET_LOCK_LIFETIME": os.environ.get("TICKET_LOCK_LIFETIME", TICKET_LOCK_LIFETIME),
            # Callers come through nginx, so REST needs its token here; the
            # replicas share one web session secret (connectors/sessions.py).
            "REST_TOKEN": os.environ.get("REST_TOKEN") or secrets.token_urlsafe(24),
            "WEB_SESSION_SECRET": secrets.token_hex(32),
        }
        self.url = f"http://127.0.0.1:{self.ports['nginx']}"
        self.replica_urls = [f"http://127.0.0.1:{p}" for p in self.ports["rasa"]]
        self.metrics_urls = [f"http://127.0.0.1:{p}/metrics" for p in self.ports["metrics"]]
        self.postgres = self.redis = self.actions = self.nginx = None
        self.replicas: list[Service] = []

    # PostgreSQL ------------------------------------------------------------

    def _as_postgres_user(self) -> dict:
        """initdb and postgres refuse to run as root: drop to the postgres user."""
        if os.geteuid() != 0:
            return {}
        user = pwd.getpwnam("postgres")
        return {"user": user.pw_uid, "group": user.pw_gid}

    def init_postgres(self) -> None:
        pgdir = self.data / "postgres"
        pgdir.mkdir()
        (pgdir / "pwfile").write_text(self.env["POSTGRES_PASSWORD"])
        as_postgres = self._as_postgres_user()
        if as_postgres:
            for path in (pgdir, pgdir / "pwfile"):
                os.chown(path, as_postgres["user"], as_postgres["group"])
        subprocess.run(
            [
                postgres_bin("initdb"), "-D", str(pgdir / "data"), "-U", self.env["POSTGRES_USER"],
                f"--pwfile={pgdir / 'pwfile'}", "--auth-local=trust",
                "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
            ],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/",
            **as_postgres,
        )  # fmt: skip

    def start_postgres(self) -> None:
        pgdir = self.data / "postgres"
        if not (pgdir / "data").exists():
            self.init_postgres()
        args = [
            postgres_bin("postgres"), "-D", str(pgdir / "data"),
            "-p", self.env["POSTGRES_PORT"], "-k", str(pgdir),
            "-c", "listen_addresses=127.0.0.1",
        ]  # fmt: skip
        self.postgres = Service("postgres", args, self.log_dir, **self._as_postgres_user())
        self.postgres.start(self._postgres_ready)
        self._create_database()

    def _connect(self, db: str | None = None):
        import psycopg2  # Rasa's own dependency (psycopg2-binary)

        return psycopg2.connect(
            host="127.0.0.1",
            port=self.env["POSTGRES_PORT"],
            user=self.env["POSTGRES_USER"],
            password=self.env["POSTGRES_PASSWORD"],
            dbname=db or self.env["POSTGRES_DB"],
            connect_timeout=3,
        )

    def _postgres_ready(self) -> bool:
        try:
            self._connect("postgres").close()
            return True
        except Exception:  # noqa: BLE001 - psycopg2.OperationalError while starting
            return False

    def _create_database(self) -> None:
        """The postgres Docker image creates POSTGRES_DB itself; here we do."""
        connection = self._connect("postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.env["POSTGRES_DB"],)
            )
            if not cursor.fetchone():
                cursor.execute(f'CREATE DATABASE "{self.env["POSTGRES_DB"]}"')
        connection.close()

    def stop_postgres(self) -> None:
        self.postgres.stop(signal.SIGINT)  # "fast" shutdown: disconnects clients

    def events(self, sender: str) -> list[tuple[str, dict]]:
        """A conversation as stored: [(type_name, event dict)] in order."""
        connection = self._connect()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT type_name, data FROM events WHERE sender_id = %s ORDER BY id", (sender,)
            )
            rows = [(kind, json.loads(data)) for kind, data in cursor.fetchall()]
        connection.close()
        return rows

    # Redis -----------------------------------------------------------------

    def start_redis(self) -> None:
        redis_dir = self.data / "redis"
        redis_dir.mkdir(exist_ok=True)
        args = [
            shutil.which("redis-server"), "--port", self.env["REDIS_PORT"],
            "--bind", "127.0.0.1", "--requirepass", self.env["REDIS_PASSWORD"],
            "--dir", str(redis_dir), "--save", "", "--appendonly", "no",
        ]  # fmt: skip
        self.redis = Service("redis", args, self.log_dir).start(self._redis_ready)

    def _redis_ready(self) -> bool:
        import redis  # Rasa's own dependency

        client = redis.Redis(
            port=int(self.env["REDIS_PORT"]), password=self.env["REDIS_PASSWORD"], socket_timeout=2
        )
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def stop_redis(self) -> None:
        self.redis.stop()

    # Action server and Rasa replicas ----------------------------------------

    def start_actions(self) -> None:
        self.actions = start_action_server(
            self.ports["actions"], self.env["ACTION_SERVER_TOKEN"], self.log_dir
        )

    def replica(self, index: int) -> Service:
        port = self.ports["rasa"][index]
        env = {**self.env, "METRICS_PORT": str(self.ports["metrics"][index])}
        return rasa_server(f"rasa-{index + 1}", port, ENDPOINTS, self.log_dir, env)

    def start_replicas(self) -> None:
        """Starts all replicas at once: loading the model is the slow part."""
        self.replicas = [self.replica(i).launch() for i in range(len(self.ports["rasa"]))]
        for proc, url in zip(self.replicas, self.replica_urls, strict=True):
            proc.wait(url + "/", timeout=240)

    # nginx -----------------------------------------------------------------

    def start_nginx(self) -> None:
        prefix = self.data / "nginx"
        for sub in ("", "temp"):
            (prefix / sub).mkdir(exist_ok=True)
        values = {
            "NGINX_PORT": f"127.0.0.1:{self.ports['nginx']}",
            "NGINX_ACCESS_LOG": str(self.log_dir / "nginx-access.log"),
            "RASA_1": f"127.0.0.1:{self.ports['rasa'][0]}",
            "RASA_2": f"127.0.0.1:{self.ports['rasa'][-1]}",
        }
        # safe_substitute leaves nginx's own $variables alone.
        site = string.Template(NGINX_TEMPLATE.read_text()).safe_substitute(values)
        (prefix / "vssid.conf").write_text(site)
        temp = prefix / "temp"
        # As root, nginx workers run as nobody: they need the temp directory.
        user = "user nobody nogroup;" if os.geteuid() == 0 else ""
        if user:
            shutil.chown(temp, "nobody", "nogroup")
        (prefix / "nginx.conf").write_text(
            f"""{user}
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {self.log_dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {prefix}/vssid.conf;
}}
"""
        )
        args = [
            shutil.which("nginx"), "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
            "-e", str(self.log_dir / "nginx-error.log"),
        ]  # fmt: skip
        self.nginx = Service("nginx", args, self.log_dir).start(self.url + "/")

    # The whole cluster ---------------------------------------------------------

    def start(self) -> Cluster:
        missing = missing_programs()
        if missing:
            raise RuntimeError(
                f"missing {', '.join(missing)}: apt-get install redis-server postgresql nginx"
            )
        # Data directories live in /tmp: under root, PostgreSQL runs as the
        # postgres user, which cannot enter pytest's private tmp directories.
        self.data = pathlib.Path(tempfile.mkdtemp(prefix="vssid-cluster-"))
        self.data.chmod(0o755)
        try:
            self.start_postgres()
            self.start_redis()
            self.start_actions()
            self.start_replicas()
            self.start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for proc in [self.nginx, *self.replicas, self.actions, self.redis]:
            if proc:
                proc.stop()
        if self.postgres:
            self.stop_postgres()
        if self.data:
            shutil.rmtree(self.data, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5080, help="nginx port on 127.0.0.1")
    parser.add_argument("--logs", default=str(ROOT / "logs" / "cluster"), help="log directory")
    args = parser.parse_args()

    # Ctrl-C or SIGTERM: leave the wait below and stop everything in order.
    # SIGINT too, explicitly: a shell starting this in the background ignores it.
    def interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    cluster = Cluster(pathlib.Path(args.logs), nginx_port=args.port)
    try:
        print("Starting PostgreSQL, Redis, the action server, 2 Rasa replicas, nginx…", flush=True)
        cluster.start()
        print(
            f"Cluster ready: {cluster.url}/webhooks/rest/webhook  (load balancer)\n"
            f"  REST needs: Authorization: Bearer {cluster.env['REST_TOKEN']}\n"
            f"  replicas: {', '.join(cluster.replica_urls)}\n"
            f"  metrics: {', '.join(cluster.metrics_urls)}\n"
            f"  logs: {args.logs}/   Ctrl-C stops everything.",
            flush=True,
        )
        while True:
            for proc in [cluster.nginx, *cluster.replicas, cluster.actions, cluster.redis,
                         cluster.postgres]:  # fmt: skip
                if not proc.alive():
                    print(f"{proc.name} exited; see {proc.log}", file=sys.stderr, flush=True)
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        print("Stopping the cluster…", flush=True)
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
