"""The narrow channel between the grader and a student's sandboxed kernel: plain data over two pipes.

What crosses is plain data only, never pickles and never objects whose methods would run on the other side:
None, bools, ints, floats, complex numbers, strings, NumPy arrays and scalars of numeric or bool dtype
(rebuilt on arrival as exact `np.ndarray`s from their raw bytes), and tuples, lists and dicts of these.
Anything else, a student's function or object, or a reference object or random generator a test hands to the
student, stays where it lives and crosses as a *handle*: the other side drives it by requests (call, getattr,
setattr, iter, next), each answered in plain data or further handles.

Both sides run the same `Peer`: one side's request may cause requests the other way (a student's training
loop calls back into the model the test gave it) before its answer comes. A call also sends back the
arguments' arrays that the callee changed in place, and the caller writes them into its own (so
`sgd_step(param, ...)` updates the caller's `param`); a result that *is* one of the arguments' arrays comes
back as that argument (so `init_(weight)` returns the caller's `weight` itself, filled in).

A frame on the wire: 4 bytes header length, the JSON header, 4 bytes buffer count, then per buffer 8 bytes
length and the bytes. Whatever arrives is checked before use; a violation raises ChannelBroken.

This module is also copied into the sandbox (it needs only NumPy and the standard library).
"""
import builtins
import json
import os
import select
import struct
import time
import warnings

import numpy as np

MAX_FRAME = 256 * 2**20          # bytes one message may take: far above any exercise's arrays
MAX_TEXT = 4000                  # characters kept of a message coming from student code
NUMERIC_KINDS = "biufc"          # bool, signed and unsigned integers, floats, complex
# what the grader's end never lets student code read attributes of (it may only call them, if it was given them)
OPAQUE = (type(os), type, type(len), type(lambda: 0), type(print.__call__), type(Exception().with_traceback))


class ChannelBroken(BaseException):
    """The other side sent something that is not a message of this protocol, or went away."""


class ChannelTimeout(BaseException):
    """No answer within the time allowed. (Both derive from BaseException, so that a test's own
    `except Exception` cannot swallow them and go on talking to a kernel that is gone.)"""


class RemoteError(Exception):
    """An exception raised on the other side that is not one of Python's built-in exceptions."""


def _builtin_exception(name):
    kind = getattr(builtins, name, None)
    return kind if isinstance(kind, type) and issubclass(kind, Exception) else None


class Remote:
    """A thing that lives on the other side: calling it, reading or setting its public attributes and iterating
    it are requests. Names starting with '_' are never asked for (NumPy, copy and pickle probe those)."""

    def __init__(self, peer, handle, name):
        object.__setattr__(self, "_peer", peer)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "__name__", name)
        object.__setattr__(self, "__qualname__", name)

    def __call__(self, *args, **kwargs):
        return self._peer.request("call", target=self._handle, args=list(args), kwargs=kwargs)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._peer.request("getattr", target=self._handle, name=name)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            raise AttributeError(f"cannot set {name} on {self.__name__}")
        self._peer.request("setattr", target=self._handle, name=name, value=value)

    def __iter__(self):
        return self._peer.request("iter", target=self._handle)

    def __next__(self):
        return self._peer.request("next", target=self._handle)

    def __repr__(self):
        return f"<{self.__name__} (student code)>" if self._peer.trusted else f"<{self.__name__}>"


class Peer:
    """One end of the channel. `extra_ops` are the requests this end answers beyond the common ones
    ({op: function(peer, header, buffers) -> value}); `exported` objects are reached by handle from the other side."""

    def __init__(self, read_fd, write_fd, *, extra_ops=None, trusted=False, on_notice=None):
        self.read_fd, self.write_fd = read_fd, write_fd
        self.extra_ops = extra_ops or {}
        self.trusted = trusted         # the grader's end: the other side runs student code
        self.exported = {}             # handle -> object of ours the other side may drive
        self.deadline = None           # monotonic time by which an answer must come (None: wait forever)
        self.max_frame = MAX_FRAME
        self.on_notice = on_notice     # called with each warning text the other side reports
        self.arguments = []            # while a call's answer is encoded or decoded: its arguments' arrays

    # ---- framing -------------------------------------------------------------------------------------
    def _read_exact(self, count):
        chunks, left = [], count
        while left:
            if self.deadline is not None:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0 or not select.select([self.read_fd], [], [], remaining)[0]:
                    raise ChannelTimeout("no answer in time")
            chunk = os.read(self.read_fd, min(left, 1 << 20))
            if not chunk:
                raise ChannelBroken("the other side closed the channel")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _send(self, header, buffers):
        head = json.dumps(header).encode()
        parts = [struct.pack(">I", len(head)), head, struct.pack(">I", len(buffers))]
        for buffer in buffers:
            parts += [struct.pack(">Q", len(buffer)), buffer]
        data = b"".join(parts)
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.write_fd, view)
            except (BrokenPipeError, OSError) as error:
                raise ChannelBroken(f"the other side went away ({error})") from None
            view = view[written:]

    def _receive(self):
        (length,) = struct.unpack(">I", self._read_exact(4))
        if length > self.max_frame:
            raise ChannelBroken(f"a message of {length} bytes (the limit is {self.max_frame})")
        try:
            header = json.loads(self._read_exact(length))
        except ValueError:
            raise ChannelBroken("a message that is not JSON") from None
        (count,) = struct.unpack(">I", self._read_exact(4))
        if count > 100_000:
            raise ChannelBroken("too many buffers in one message")
        buffers, total = [], length
        for _ in range(count):
            (size,) = struct.unpack(">Q", self._read_exact(8))
            total += size
            if total > self.max_frame:
                raise ChannelBroken(f"a message over {self.max_frame} bytes")
            buffers.append(self._read_exact(size))
        if not isinstance(header, dict):
            raise ChannelBroken("a message that is not a JSON object")
        return header, buffers

    # ---- plain data ------------------------------------------------------------------------------------
    def encode(self, value, buffers):
        """value -> JSON-able structure; arrays' bytes go to `buffers`; anything not plain becomes a handle."""
        if value is None or isinstance(value, (bool, str)):
            return value
        if type(value) is int:
            return value
        if type(value) is float:
            return {"float": repr(value)}
        if type(value) is complex:
            return {"complex": [repr(value.real), repr(value.imag)]}
        if isinstance(value, np.ndarray) and any(value is argument for argument in self.arguments):
            return {"argument": next(i for i, argument in enumerate(self.arguments) if value is argument)}
        if isinstance(value, (np.ndarray, np.generic)) and np.asarray(value).dtype.kind in NUMERIC_KINDS:
            array = np.asarray(value, order="C")
            buffers.append(array.tobytes())
            return {"array": len(buffers) - 1, "dtype": array.dtype.str, "shape": list(array.shape),
                    "scalar": isinstance(value, np.generic)}
        if type(value) in (list, tuple):
            return {type(value).__name__: [self.encode(item, buffers) for item in value]}
        if type(value) is dict:
            return {"dict": [[self.encode(k, buffers), self.encode(v, buffers)] for k, v in value.items()]}
        if isinstance(value, Remote) and value._peer is self:
            return {"yours": value._handle}
        handle = len(self.exported)
        self.exported[handle] = value
        return {"handle": handle, "name": str(getattr(value, "__name__", type(value).__name__))[:100]}

    def decode(self, item, buffers):
        """The inverse of encode, checking everything: what arrives may come from student code."""
        if item is None or type(item) in (bool, str, int):
            return item
        if not isinstance(item, dict) or len(item) not in (1, 2, 4):
            raise ChannelBroken(f"not a plain value: {str(item)[:80]}")
        if "float" in item:
            return float(item["float"])
        if "complex" in item:
            real, imag = item["complex"]
            return complex(float(real), float(imag))
        if "array" in item:
            dtype = np.dtype(item["dtype"])
            if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
                raise ChannelBroken(f"an array of dtype {dtype} (only numbers and bools cross)")
            shape = tuple(int(n) for n in item["shape"])
            buffer = buffers[int(item["array"])]
            if any(n < 0 for n in shape) or int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != len(buffer):
                raise ChannelBroken("an array whose shape does not match its bytes")
            array = np.frombuffer(buffer, dtype=dtype).reshape(shape).copy()
            return array[()] if item.get("scalar") and not shape else array
        for kind in ("list", "tuple"):
            if kind in item:
                values = [self.decode(v, buffers) for v in item[kind]]
                return values if kind == "list" else tuple(values)
        if "dict" in item:
            return {_hashable(self.decode(k, buffers)): self.decode(v, buffers) for k, v in item["dict"]}
        if "argument" in item:
            index = item["argument"]
            if type(index) is not int or not 0 <= index < len(self.arguments):
                raise ChannelBroken("a reference to an argument that was never passed")
            return self.arguments[index]
        if "yours" in item:
            handle = item["yours"]
            if type(handle) is not int or handle not in self.exported:
                raise ChannelBroken("a handle this side never gave out")
            return self.exported[handle]
        if "handle" in item and type(item["handle"]) is int:
            return Remote(self, item["handle"], str(item.get("name", "object"))[:100])
        raise ChannelBroken(f"not a plain value: {str(item)[:80]}")

    # ---- requests --------------------------------------------------------------------------------------
    def request(self, op, **fields):
        """Send a request and serve the other side's requests until its answer comes; return the answer."""
        buffers = []
        message = {"op": op, **{k: self.encode(v, buffers) for k, v in fields.items()}}
        if op == "call":
            message["errstate"] = np.geterr()
        self._send(message, buffers)
        while True:
            header, buffers = self._receive()
            if "op" in header:
                self._serve(header, buffers)
                continue
            for text in header.get("warnings", [])[:20]:
                if self.on_notice:
                    self.on_notice(str(text)[:MAX_TEXT])
            if "error" in header:
                raise self._exception(header["error"])
            if "value" not in header:
                raise ChannelBroken("an answer without a value")
            if op == "call":
                self.arguments = _arrays([fields["args"], fields["kwargs"]])
                self._write_back(header.get("changed", []), buffers)
            try:
                value = self.decode(header["value"], buffers)
            finally:
                self.arguments = []
            if op == "next" and header.get("stop"):
                raise StopIteration
            return value

    def serve_forever(self):
        """Answer requests until the channel closes (the student's side of the channel runs this)."""
        while True:
            try:
                header, buffers = self._receive()
            except ChannelBroken:
                return
            self._serve(header, buffers)

    def _serve(self, header, buffers):
        op = header.get("op")
        answer, out = {}, []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if op == "call":
                    target = self._target(header)
                    args = self.decode(header.get("args", {"list": []}), buffers)
                    kwargs = self.decode(header.get("kwargs", {"dict": []}), buffers)
                    if not isinstance(args, list) or not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
                        raise ChannelBroken("a call whose arguments are not a list and a dict")
                    arrays = _arrays([args, kwargs])
                    before = [array.copy() for array in arrays]
                    errstate = header.get("errstate") or {}
                    with np.errstate(**{k: v for k, v in errstate.items() if k in ("divide", "over", "under", "invalid")}):
                        value = target(*args, **kwargs)
                    self.arguments = []
                    answer["changed"] = [[index, self.encode(array, out)] for index, (array, copy) in
                                         enumerate(zip(arrays, before)) if not _unchanged(array, copy)]
                    self.arguments = arrays
                elif op == "getattr":
                    value = getattr(self._target(header, attribute=header.get("name")), header["name"])
                elif op == "setattr":
                    setattr(self._target(header, attribute=header.get("name")), header["name"], self.decode(header["value"], buffers))
                    value = None
                elif op == "iter":
                    value = iter(self._target(header))
                elif op == "next":
                    try:
                        value = next(self._target(header))
                    except StopIteration:
                        value, answer["stop"] = None, True
                elif op in self.extra_ops:
                    value = self.extra_ops[op](self, header, buffers)
                else:
                    raise ChannelBroken(f"unknown request {op!r}")
            answer["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught][:20]
            try:
                answer["value"] = self.encode(value, out)
            finally:
                self.arguments = []
        except (ChannelBroken, ChannelTimeout):
            raise
        except BaseException as error:  # whatever the code we drive raises (SystemExit too) goes back described
            answer, out = {"error": describe(error)}, []
        self._send(answer, out)

    def _target(self, header, attribute=None):
        handle = header.get("target")
        if type(handle) is not int or handle not in self.exported:
            raise ChannelBroken("a request for an object this side never gave out")
        target = self.exported[handle]
        if attribute is not None and (not isinstance(attribute, str) or attribute.startswith("_")):
            raise AttributeError(f"{attribute!r}: only public attributes can be reached")
        if attribute is not None and self.trusted and isinstance(target, OPAQUE):
            raise AttributeError(f"the attributes of {type(target).__name__} objects cannot be reached")
        return target

    def _write_back(self, changed, buffers):
        """Copy the arrays the other side changed in place into this side's arguments (self.arguments)."""
        if not isinstance(changed, list):
            raise ChannelBroken("a malformed list of changed arguments")
        for entry in changed:
            if not isinstance(entry, list) or len(entry) != 2 or type(entry[0]) is not int \
                    or not 0 <= entry[0] < len(self.arguments):
                raise ChannelBroken("a changed argument that was never passed")
            old, new = self.arguments[entry[0]], self.decode(entry[1], buffers)
            if isinstance(new, np.ndarray) and new is not old and old.shape == new.shape and old.flags.writeable:
                np.copyto(old, new, casting="unsafe")

    def _exception(self, description):
        """An exception rebuilt from the other side's description: a built-in one keeps its class (tests catch
        ValueError or FloatingPointError), others become RemoteError; the frames ride along as text."""
        if not isinstance(description, dict):
            raise ChannelBroken("a malformed error")
        name, message = str(description.get("type", "Exception"))[:100], str(description.get("message", ""))[:MAX_TEXT]
        kind = _builtin_exception(name) or (FloatingPointError if name == "FloatingPointError" else None)
        if name == "AxisError":
            kind = np.exceptions.AxisError
        try:
            error = kind(message) if kind else RemoteError(f"{name}: {message}")
        except Exception:  # an exception class whose constructor wants other arguments
            error = RemoteError(f"{name}: {message}")
        frames = description.get("frames", [])
        error.remote_type = name
        error.remote_frames = [tuple(str(part)[:200] for part in frame) for frame in frames[-30:]] if isinstance(frames, list) else []
        return error


def describe(error):
    """A plain description of an exception: its type, message and the frames of the code that raised it."""
    import traceback

    frames = [(f.filename, str(f.lineno), f.name, (f.line or "")) for f in traceback.extract_tb(error.__traceback__)
              if not f.filename.endswith(("channel.py", "student_kernel.py")) and "/IPython/" not in f.filename]
    frames = getattr(error, "remote_frames", frames) or frames
    message = str(error) if not isinstance(error, RemoteError) else str(error).split(": ", 1)[-1]
    return {"type": getattr(error, "remote_type", type(error).__name__), "message": message[:MAX_TEXT], "frames": frames[-30:]}


def _hashable(key):
    if isinstance(key, (str, int, float, bool, tuple, complex)) or key is None:
        return key
    raise ChannelBroken("a dict key that is not a plain value")


def _arrays(value, found=None):
    """The arrays inside nested lists, tuples and dicts, in order."""
    found = [] if found is None else found
    if isinstance(value, np.ndarray):
        found.append(value)
    elif type(value) in (list, tuple):
        for item in value:
            _arrays(item, found)
    elif type(value) is dict:
        for item in value.values():
            _arrays(item, found)
    return found


def _unchanged(array, copy):
    return array.shape == copy.shape and array.dtype == copy.dtype and np.array_equal(array, copy, equal_nan=True)
