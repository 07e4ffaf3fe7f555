"""A spock profile for a Door, made without prompts, and the command that opens it.

Sardana's own profile writer (``genutils._create_config_file``) imports sardana,
which the core package must not: it runs in a child Python of the same
environment. The profile lives in its own IPython directory, so the operator's
``~/.ipython`` is never touched.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_CREATE = """\
import importlib
import sys
from IPython.core.profiledir import ProfileDir

# run in a child Python: the core itself never imports Sardana
genutils = importlib.import_module("sardana.spock.ipython_01_00.genutils")
_create_config_file = genutils._create_config_file

ipython_dir, profile, door = sys.argv[1:4]
location = ProfileDir.create_profile_dir_by_name(ipython_dir, profile).location
_create_config_file(location, door_name=door)
print(location)
"""


@dataclass
class SpockProfile:
    profile: str
    profile_dir: Path
    env: dict[str, str]  # what spock needs on top of the usual environment
    argv: list[str]

    @property
    def command(self) -> str:
        """The exact shell command that opens spock on the Door."""
        assignments = [f"{k}={shlex.quote(v)}" for k, v in self.env.items()]
        return " ".join(assignments + [shlex.join(self.argv)])


def spock_executable(python: str = sys.executable) -> str:
    script = Path(python).parent / "spock"
    return str(script) if script.exists() else "spock"


def create_spock_profile(
    door: str,
    tango_host: str,
    ipython_dir: Path,
    profile: str = "nxsas",
    python: str = sys.executable,
    timeout: float = 60,
) -> SpockProfile:
    """Create (or refresh) ``profile`` for ``door`` in ``ipython_dir``."""
    ipython_dir = Path(ipython_dir).resolve()
    ipython_dir.mkdir(parents=True, exist_ok=True)
    extra = {"TANGO_HOST": tango_host, "IPYTHONDIR": str(ipython_dir)}
    proc = subprocess.run(
        [python, "-c", _CREATE, str(ipython_dir), profile, door],
        env={**os.environ, **extra},
        cwd=ipython_dir,  # an empty-ish directory: nothing there can shadow a module
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"creating the spock profile failed:\n{proc.stdout}{proc.stderr}")
    location = Path(proc.stdout.strip().splitlines()[-1])
    argv = [spock_executable(python), f"--profile={profile}"]
    return SpockProfile(profile=profile, profile_dir=location, env=extra, argv=argv)
