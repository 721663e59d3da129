"""The exchange's collect step, hardened for a server shared by a class.

nbgrader names a submission folder in the exchange's ``inbound/`` after the student
(``<student>+<assignment>+<timestamp>+<random>``) and collects the newest folder per
name.  Every student may create folders there, so one student could plant a newer
"submission" under a classmate's name; nbgrader only logs a warning when the folder's
owner is not the student it names.  ``OwnerCheckedCollect`` (selected in
``nbgrader_config.py``) never collects such a folder: a student's own submissions always
win, and a forged folder is left out with an error in the log.
"""

from __future__ import annotations

import os
import pwd

from nbgrader.exchange.default.collect import ExchangeCollect


def folder_owner(path: str) -> str:
    try:
        return pwd.getpwuid(os.stat(path).st_uid).pw_name
    except KeyError:
        return f"uid {os.stat(path).st_uid}"


class OwnerCheckedCollect(ExchangeCollect):
    """Collect only submission folders that belong to the student they name."""

    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        record["owner"] = folder_owner(os.path.join(self.inbound_path, record["filename"]))
        if record["owner"] != record["username"]:
            self.log.error("not collected: %s names %s but belongs to %s", record["filename"],
                           record["username"], record["owner"])
        return record

    def _sort_by_timestamp(self, records):
        # a student's own folders first (newest first), then any forged ones
        newest_first = super()._sort_by_timestamp(records)
        return ([r for r in newest_first if r["owner"] == r["username"]] +
                [r for r in newest_first if r["owner"] != r["username"]])

    def copy_files(self):
        # where a forged folder is all there is under a name, nothing is collected for it
        self.src_records = [r for r in self.src_records if r["owner"] == r["username"]]
        super().copy_files()
