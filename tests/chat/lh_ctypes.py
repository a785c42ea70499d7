"""The C API's chat-template calls through ctypes (no binding needed): loading a model and
lh_chat_format / lh_chat_template_family, returning (status, text-or-message)."""
import ctypes
import os

LH_OK = 0
LH_ERROR_INVALID_ARGUMENT = 1
LH_ERROR_UNSUPPORTED = 4
LH_ERROR_BUFFER_TOO_SMALL = 7


class ModelParams(ctypes.Structure):
    # A prefix of the header's lh_model_params: lh_model_params_init_sized writes sizeof(ModelParams)
    # bytes and the library reads no more (struct_size).
    _fields_ = [("struct_size", ctypes.c_uint32), ("precision", ctypes.c_int),
                ("n_threads", ctypes.c_int32), ("vocab_only", ctypes.c_int32),
                ("use_mmap", ctypes.c_int32), ("check_tensors", ctypes.c_int32)]


class ChatMessage(ctypes.Structure):
    _fields_ = [("role", ctypes.c_char_p), ("content", ctypes.c_char_p)]


def load_library():
    path = os.environ.get("LONGHEADS_LIB")
    if not path:
        raise RuntimeError("LONGHEADS_LIB (path of liblongheads.so) is not set; run through ctest")
    lib = ctypes.CDLL(path)
    lib.lh_last_error.restype = ctypes.c_char_p
    lib.lh_model_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(ModelParams), ctypes.POINTER(ctypes.c_void_p)]
    lib.lh_model_free.argtypes = [ctypes.c_void_p]
    lib.lh_model_params_init_sized.argtypes = [ctypes.POINTER(ModelParams), ctypes.c_size_t]
    lib.lh_chat_format.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ChatMessage), ctypes.c_size_t,
                                   ctypes.c_int32, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
    lib.lh_chat_template_family.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
    lib.lh_token_piece.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_char_p, ctypes.c_size_t,
                                   ctypes.POINTER(ctypes.c_size_t)]
    lib.lh_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int32, ctypes.c_int32,
                                ctypes.POINTER(ctypes.c_int32), ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
    lib.lh_model_meta_get.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t,
                                      ctypes.POINTER(ctypes.c_size_t)]
    return lib


class Model:
    def __init__(self, lib, path, vocab_only=True):
        self.lib = lib
        params = ModelParams()
        lib.lh_model_params_init_sized(ctypes.byref(params), ctypes.sizeof(params))
        params.vocab_only = 1 if vocab_only else 0
        handle = ctypes.c_void_p()
        status = lib.lh_model_load(path.encode(), ctypes.byref(params), ctypes.byref(handle))
        if status != LH_OK:
            raise RuntimeError(f"cannot load {path}: {lib.lh_last_error().decode()}")
        self.handle = handle

    def close(self):
        self.lib.lh_model_free(self.handle)

    def meta_int(self, key):
        buf = ctypes.create_string_buffer(64)
        n = ctypes.c_size_t()
        if self.lib.lh_model_meta_get(self.handle, key.encode(), buf, 64, ctypes.byref(n)) != LH_OK:
            return None
        return int(buf.value.decode())

    def tokenize(self, text, add_bos, parse_special=True):
        data = text.encode()
        ids = (ctypes.c_int32 * (len(data) + 8))()
        n = ctypes.c_size_t()
        assert self.lib.lh_tokenize(self.handle, data, len(data), int(add_bos), int(parse_special), ids, len(ids),
                                    ctypes.byref(n)) == LH_OK, self.lib.lh_last_error()
        return list(ids[:n.value])

    def token_text(self, token_id):
        if token_id is None or token_id < 0:
            return ""
        buf = ctypes.create_string_buffer(256)
        n = ctypes.c_size_t()
        assert self.lib.lh_token_piece(self.handle, token_id, buf, 256, ctypes.byref(n)) == LH_OK
        return buf.raw[:n.value].decode()

    def format(self, template, messages, add_assistant, capacity=None):
        arr = (ChatMessage * max(1, len(messages)))()
        for i, m in enumerate(messages):
            arr[i].role = m["role"].encode()
            arr[i].content = m["content"].encode()
        n = ctypes.c_size_t()
        tmpl = template.encode() if template is not None else None
        status = self.lib.lh_chat_format(self.handle, tmpl, arr, len(messages), 1 if add_assistant else 0,
                                         None, 0, ctypes.byref(n))
        if status != LH_ERROR_BUFFER_TOO_SMALL:
            return status, self.lib.lh_last_error().decode()
        size = n.value + 1 if capacity is None else capacity
        buf = ctypes.create_string_buffer(size)
        status = self.lib.lh_chat_format(self.handle, tmpl, arr, len(messages), 1 if add_assistant else 0,
                                         buf, size, ctypes.byref(n))
        if status != LH_OK:
            return status, self.lib.lh_last_error().decode()
        return status, buf.raw[:n.value].decode()

    def family(self, template):
        name = ctypes.c_char_p()
        tmpl = template.encode() if template is not None else None
        status = self.lib.lh_chat_template_family(self.handle, tmpl, ctypes.byref(name))
        if status != LH_OK:
            return status, self.lib.lh_last_error().decode()
        return status, name.value.decode()
