"""A throw-away OpenLink Virtuoso 7 (Debian's ``virtuoso-opensource``) in a folder of its own, on free loopback ports.

Used by the tests (one server per test session) and by ``benchmarks/bench_virtuoso.py``. The server gets its own
``virtuoso.ini``: database, transaction log and temporary database in the folder, the SQL and HTTP ports on
127.0.0.1, ``DirsAllowed`` naming the folder (so its bulk loader may read files put there) and no row cap below
reformkg's. After it starts, ``isql`` sets it up as the README's "Your own engine" says an operator should:

- ``GRANT SPARQL_UPDATE TO "SPARQL"``: the anonymous ``/sparql`` and ``/sparql-graph-crud`` may write (a test server
  only; a real one gives a named user the right and reformkg its password);
- the anonymous user may read and write graphs (3: no sponging, so a query cannot make Virtuoso fetch a web page);
- Virtuoso's own graphs (its schema graph ``virtrdf:`` and the few it creates at start) go into its group of private
  graphs, which the anonymous user may not read: the union default graph then holds only the data, as in reformkg's
  embedded store.

It is stopped with ``shutdown`` through ``isql`` (a checkpoint, then exit), SIGTERM if that fails.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx

VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"
#: Where Debian's package keeps the pages its HTTP server serves (the server needs a root; nothing there is used).
VSP_ROOT = Path("/var/lib/virtuoso-opensource-7/vsp")

INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {dir}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty_buffers}
ThreadsPerQuery = 2
MaxQueryMem = 500M
VADInstallDir = {dir}/vad

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {vsp_root}
ServerThreads = 10
MaxClientConnections = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
Charset = UTF-8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 400
"""

#: Run through isql once the server is up (see the module's docstring).
SETUP_SQL = """\
GRANT SPARQL_UPDATE TO "SPARQL";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 3);
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);
DB.DBA.RDF_GRAPH_GROUP_CREATE ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', 1);
{private}
"""


def installed() -> str | None:
    """Why Virtuoso cannot be started here, or None when it can."""
    missing = [name for name in (VIRTUOSO, ISQL) if shutil.which(name) is None]
    if missing:
        return (
            f"{' and '.join(missing)} not found: `make test` installs Debian's virtuoso-opensource when it runs as "
            "root with apt-get"
        )
    if not VSP_ROOT.is_dir():
        return f"{VSP_ROOT} is missing: reinstall Debian's virtuoso-opensource"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class VirtuosoError(RuntimeError):
    """Virtuoso did not start, or isql failed."""


class VirtuosoServer:
    """Virtuoso in ``folder`` on free loopback ports; ``stop()`` ends it. ``buffers`` is its page cache (8 KB pages):
    the default suits the tests, the benchmark gives it more."""

    def __init__(self, folder: Path, *, buffers: int = 20_000, start_seconds: float = 90):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "vad").mkdir(exist_ok=True)
        self.sql_port, self.http_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.http_port}"
        ini = self.folder / "virtuoso.ini"
        ini.write_text(
            INI.format(
                dir=self.folder,
                sql_port=self.sql_port,
                http_port=self.http_port,
                buffers=buffers,
                dirty_buffers=buffers * 3 // 4,
                vsp_root=VSP_ROOT,
            )
        )
        self._log = (self.folder / "stdout.log").open("wb")
        self.process: subprocess.Popen | None = None
        try:
            self._start(ini, start_seconds)
            private = "\n".join(
                f"DB.DBA.RDF_GRAPH_GROUP_INS ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', '{g}');"
                for g in self.sparql_graphs()
                if "'" not in g
            )
            self.isql(SETUP_SQL.format(private=private))
            if self.sparql_graphs():
                raise VirtuosoError("virtuoso's own graphs are still visible to the SPARQL user")
        except BaseException:
            self.stop()
            raise

    def _start(self, ini: Path, seconds: float) -> None:
        self.process = subprocess.Popen(
            [VIRTUOSO, "+foreground", "+configfile", str(ini)],
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_up(seconds)

    @property
    def query_url(self) -> str:
        return f"{self.base}/sparql"

    @property
    def update_url(self) -> str:
        return f"{self.base}/sparql"

    @property
    def gsp_url(self) -> str:
        return f"{self.base}/sparql-graph-crud"

    def _wait_until_up(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                response = httpx.post(self.query_url, data={"query": "ASK {}"}, timeout=2)
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise VirtuosoError(f"virtuoso did not start: {self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self) -> str:
        log = self.folder / "virtuoso.log"
        return log.read_text(errors="replace")[-600:] if log.exists() else "(no log)"

    def isql(self, sql: str, timeout: float = 600) -> str:
        """Run SQL statements as dba; VirtuosoError with isql's words when one fails."""
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba", "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF"],
            input=sql if sql.endswith("\n") else sql + "\n",
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0 or "*** Error" in done.stdout or "*** Error" in done.stderr:
            raise VirtuosoError(f"isql failed: {(done.stdout + done.stderr)[-600:]}")
        return done.stdout

    def sparql_graphs(self) -> list[str]:
        """The graphs the anonymous SPARQL user sees that hold triples. (Virtuoso 7.2 answers this query without
        ``ORDER BY`` from its list of all graphs, private ones included.)"""
        response = httpx.post(
            self.query_url,
            data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        response.raise_for_status()
        return [b["g"]["value"] for b in response.json()["results"]["bindings"]]

    def clear(self) -> None:
        """Drop every graph the SPARQL user sees, so the next test starts from an empty store."""
        graphs = self.sparql_graphs()
        if graphs:
            update = " ; ".join(f"DROP SILENT GRAPH <{g}>" for g in graphs)
            httpx.post(
                self.update_url, content=update.encode(), headers={"Content-Type": "application/sparql-update"}
            ).raise_for_status()

    def _shutdown(self) -> None:
        """A checkpoint and exit through isql; SIGTERM, then SIGKILL, if it does not end."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(VirtuosoError, subprocess.TimeoutExpired, OSError):
            self.isql("shutdown;", timeout=60)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(20)

    def stop(self) -> None:
        self._shutdown()
        self._log.close()
