"""The student's side of sealed grading: runs inside the sandbox, executes the notebook's student cells in an
IPython shell and answers the grader's requests over the channel (two pipes' file descriptors).

    python -m mlpcourse.student_kernel REQUESTS_FD ANSWERS_FD      (started by mlpcourse.sandbox)

Nothing here decides a grade: the grader only ever receives plain data from this process (see channel.py).
Student code can change anything in this process, and that changes nothing but its own answers.
"""
import base64
import os
import sys

def _outputs(captured, value, error, budget, shell):
    """The cell's outputs as plain dicts, their text cut to `budget` characters in all."""
    outputs = []
    if value is not None:
        captured.outputs.append(type("Shown", (), {"data": shell.display_formatter.format(value)[0]}))
    for name, text in (("stdout", captured.stdout), ("stderr", captured.stderr)):
        if text:
            outputs.append({"kind": "stream", "name": name, "text": text})
    for shown in captured.outputs:
        data = {}
        if "text/plain" in shown.data:
            data["text/plain"] = str(shown.data["text/plain"])
        if "image/png" in shown.data:
            png = shown.data["image/png"]
            data["image/png"] = png if isinstance(png, str) else base64.b64encode(png).decode()
        if data:
            outputs.append({"kind": "display", "data": data})
    if error is not None:
        from mlpcourse.channel import describe

        outputs.append({"kind": "error", **describe(error)})
    for output in outputs:
        for key in ("text", "message"):
            if key in output:
                output[key] = output[key][:max(budget, 0)]
                budget -= len(output[key])
    return outputs


def main(requests_fd, answers_fd):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from mlpcourse.channel import Peer

    shell = InteractiveShell.instance()
    # the value of a cell's last expression is returned as an output, not printed as "Out[n]:"
    shell.displayhook.write_output_prompt = lambda: None
    shell.displayhook.write_format_data = lambda *args, **kwargs: None
    # an error is returned as an output of its own, with the student's frames only
    shell.showtraceback = shell.showsyntaxerror = lambda *args, **kwargs: None

    def execute(peer, header, buffers):
        with capture_output() as captured:
            result = shell.run_cell(str(header.get("code", "")), store_history=False)
        error = result.error_in_exec or result.error_before_exec
        return {"outputs": _outputs(captured, result.result, error, int(header.get("budget", 100_000)), shell)}

    def lookup(peer, header, buffers):
        names = peer.decode(header.get("names"), buffers)
        if not isinstance(names, list):
            return {}
        return {name: shell.user_ns[name] for name in names if isinstance(name, str) and name in shell.user_ns}

    def replace(peer, header, buffers):
        """Set global names for the student's code (a test runs one function with the reference's others)."""
        values, absent = peer.decode(header.get("values"), buffers), peer.decode(header.get("absent"), buffers)
        previous = {name: shell.user_ns[name] for name in values if name in shell.user_ns}
        missing = [name for name in values if name not in shell.user_ns]
        shell.user_ns.update(values)
        for name in absent:
            shell.user_ns.pop(name, None)
        return [previous, missing]

    peer = Peer(requests_fd, answers_fd, extra_ops={"exec": execute, "lookup": lookup, "replace": replace})
    peer.serve_forever()


if __name__ == "__main__":
    sys.stdin = open(os.devnull)
    main(int(sys.argv[1]), int(sys.argv[2]))
