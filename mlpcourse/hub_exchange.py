"""nbgrader's exchange on a shared machine, with submissions recorded under the user who made them.

`nbgrader submit --student bob` lets anyone drop a submission named after bob into the exchange, and plain
`nbgrader collect` files it as bob's (with `--update` it replaces bob's work, with only a "cheating attempt?"
log line). The exchange folder a submission arrives in is owned by the Unix user who submitted it, which a
student cannot forge: `OwnerCollect` files every submission under that owner, whatever name it carries.
The hub's nbgrader_config.py selects it (`c.ExchangeFactory.collect`).
"""
import os
import pwd

from nbgrader.exchange.default.collect import ExchangeCollect


def submitter(path):
    """The login name of the Unix user who owns the submission folder `path`."""
    uid = os.stat(path).st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid-{uid}"


class OwnerCollect(ExchangeCollect):
    """`nbgrader collect` that files each submission under the user who owns it."""

    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        owner = submitter(os.path.join(self.inbound_path, record["filename"]))
        if owner != record["username"]:
            self.log.warning("%s is named after %s but was submitted by %s: it is collected as %s's",
                             record["filename"], record["username"], owner, owner)
        record["username"] = owner
        return record

    def init_src(self):
        # With --student, the pattern must not trust the names either: look at every submission of the assignment
        # and keep those of the students asked for.
        wanted = self.coursedir.student_id
        self.coursedir.student_id = "*" if wanted and wanted != "*" else wanted
        try:
            super().init_src()
        finally:
            self.coursedir.student_id = wanted
        if wanted and wanted != "*":
            self.src_records = [r for r in self.src_records if r["username"] == wanted]
