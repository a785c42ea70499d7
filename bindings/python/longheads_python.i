/* Python side of the longheads binding: the extension module `longheads._longheads_native`
 * (plus SWIG's `longheads.longheads_native` shadow module). The public API is the hand-written
 * package `longheads` (bindings/python/longheads/), which sits on this internal layer.
 *
 * - Every wrapped call releases the GIL (SWIG -threads, set in bindings/CMakeLists.txt); the
 *   conversions below run before/after the call, with the GIL held.
 * - std::string is a byte string: `bytes` out; `bytes` or `str` (encoded UTF-8) in.
 * - Token vectors: any sequence of integers (anything with __index__, e.g. numpy ints) in,
 *   a list out. Float vectors: a bytearray of native float32 out (numpy.frombuffer views it
 *   without a copy); a float32 buffer (numpy array, array('f')) or a sequence of numbers in.
 * - String lists (stop strings): any sequence of str / bytes.
 * - Enum values: an int or a name ("longheads", "per-token": lh_<enum>_from_name) in; out, the
 *   IntEnum class the package registers for that enum with _set_enum_classes() (an int before).
 * - A failed call raises the exception classes the package registers with
 *   _set_error_classes(): longheads.Error, and longheads.InvalidArgumentError (also a
 *   ValueError) for LH_ERROR_INVALID_ARGUMENT.
 */
%module(package="longheads", docstring="Internal SWIG layer of the longheads Python binding: use `import longheads`.") longheads_native

%feature("compactdefaultargs");

%{
#include <climits>
#include <cstring>

#include "longheads_facade.hpp"

static PyObject *lh_py_error_class = NULL;
static PyObject *lh_py_invalid_class = NULL;

static void lh_py_raise(int status, const char *message) {
    PyObject *cls = lh_py_error_class;
    if (status == LH_ERROR_INVALID_ARGUMENT && lh_py_invalid_class) cls = lh_py_invalid_class;
    if (status == LH_ERROR_OUT_OF_MEMORY && !cls) cls = PyExc_MemoryError;
    if (!cls) cls = PyExc_RuntimeError;
    PyObject *text = PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message), "replace");
    if (!text) return;
    PyObject *exc = (cls == lh_py_error_class || cls == lh_py_invalid_class)
                        ? PyObject_CallFunction(cls, "Oi", text, status)
                        : PyObject_CallFunctionObjArgs(cls, text, NULL);
    Py_DECREF(text);
    if (!exc) return;  /* the constructor raised: keep that exception */
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
}

/* {"Attention": longheads.Attention, ...}: registered by longheads/_options.py. */
static PyObject *lh_py_enum_classes = NULL;

static PyObject *lh_py_enum_out(const char *name, int value) {
    PyObject *cls = lh_py_enum_classes ? PyDict_GetItemString(lh_py_enum_classes, name) : NULL;
    if (!cls) return PyLong_FromLong(value);
    return PyObject_CallFunction(cls, "i", value);
}

static PyObject *lh_py_set_enum_classes(PyObject *classes) {
    if (!PyDict_Check(classes)) {
        PyErr_SetString(PyExc_TypeError, "expected a dict of enum classes");
        return NULL;
    }
    Py_INCREF(classes);
    Py_XDECREF(lh_py_enum_classes);
    lh_py_enum_classes = classes;
    Py_RETURN_NONE;
}

/* Registered by longheads/__init__.py (kept alive for the life of the process). */
static PyObject *lh_py_set_error_classes(PyObject *error, PyObject *invalid_argument) {
    if (!PyType_Check(error) || !PyType_Check(invalid_argument)) {
        PyErr_SetString(PyExc_TypeError, "expected two exception classes");
        return NULL;
    }
    Py_INCREF(error);
    Py_INCREF(invalid_argument);
    Py_XDECREF(lh_py_error_class);
    Py_XDECREF(lh_py_invalid_class);
    lh_py_error_class = error;
    lh_py_invalid_class = invalid_argument;
    Py_RETURN_NONE;
}
%}

%define LH_RAISE(status, message)
lh_py_raise(status, message); SWIG_fail;
%enddef
%define LH_CASE "%s" %enddef
%define LH_ENUM_VALUE_NAMES
%rename("%s", %$isenumitem) "";
%enddef

/* ---- enums: an int or a name in, the registered IntEnum out --------------------------------- */
%define LH_LANG_ENUM(CTYPE, SNAME, NAME)
%typemap(in) CTYPE {
    if (PyUnicode_Check($input)) {
        const char *text = PyUnicode_AsUTF8($input);
        if (!text) SWIG_fail;
        CTYPE value;
        if (lh_##SNAME##_from_name(text, &value) != LH_OK) {
            lh_py_raise(LH_ERROR_INVALID_ARGUMENT, lh_last_error());
            SWIG_fail;
        }
        $1 = value;
    } else if (PyLong_Check($input) && !PyBool_Check($input)) {
        long v = PyLong_AsLong($input);
        if (v == -1 && PyErr_Occurred()) SWIG_fail;
        if (v < INT32_MIN || v > INT32_MAX) {
            PyErr_Format(PyExc_OverflowError, "%ld does not fit in " #CTYPE, v);
            SWIG_fail;
        }
        $1 = (CTYPE)v;  /* checked by the library */
    } else {
        PyErr_Format(PyExc_TypeError, "expected a " #NAME " or its name as str, got %s", Py_TYPE($input)->tp_name);
        SWIG_fail;
    }
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_INTEGER) CTYPE {
    $1 = PyUnicode_Check($input) || (PyLong_Check($input) && !PyBool_Check($input));
}
%typemap(out) CTYPE {
    $result = lh_py_enum_out(#NAME, (int)$1);
    if (!$result) SWIG_fail;
}
%enddef

/* ---- byte strings ------------------------------------------------------------------------- */
%typemap(in) const std::string & (std::string temp) {
    if (PyBytes_Check($input)) {
        temp.assign(PyBytes_AS_STRING($input), (size_t)PyBytes_GET_SIZE($input));
    } else if (PyByteArray_Check($input)) {
        temp.assign(PyByteArray_AS_STRING($input), (size_t)PyByteArray_GET_SIZE($input));
    } else if (PyUnicode_Check($input)) {
        Py_ssize_t n = 0;
        const char *s = PyUnicode_AsUTF8AndSize($input, &n);
        if (!s) SWIG_fail;
        temp.assign(s, (size_t)n);
    } else {
        PyErr_Format(PyExc_TypeError, "expected str or bytes, got %s", Py_TYPE($input)->tp_name);
        SWIG_fail;
    }
    $1 = &temp;
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_STRING) const std::string & {
    $1 = PyBytes_Check($input) || PyByteArray_Check($input) || PyUnicode_Check($input);
}
%typemap(out) std::string {
    $result = PyBytes_FromStringAndSize($1.data(), (Py_ssize_t)$1.size());
}

/* ---- string lists: a sequence of str (encoded UTF-8) or bytes ------------------------------ */
%typemap(in) const std::vector<std::string> & (std::vector<std::string> temp) {
    if (PyUnicode_Check($input) || PyBytes_Check($input)) {
        PyErr_SetString(PyExc_TypeError, "expected a sequence of strings, not a single string");
        SWIG_fail;
    }
    PyObject *seq = PySequence_Fast($input, "expected a sequence of strings");
    if (!seq) SWIG_fail;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (PyBytes_Check(item)) {
            temp.emplace_back(PyBytes_AS_STRING(item), (size_t)PyBytes_GET_SIZE(item));
        } else if (PyUnicode_Check(item)) {
            Py_ssize_t len = 0;
            const char *s = PyUnicode_AsUTF8AndSize(item, &len);
            if (!s) { Py_DECREF(seq); SWIG_fail; }
            temp.emplace_back(s, (size_t)len);
        } else {
            PyErr_Format(PyExc_TypeError, "expected str or bytes at index %zd, got %s", i, Py_TYPE(item)->tp_name);
            Py_DECREF(seq);
            SWIG_fail;
        }
    }
    Py_DECREF(seq);
    $1 = &temp;
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_POINTER) const std::vector<std::string> & {
    $1 = PySequence_Check($input) && !PyUnicode_Check($input) && !PyBytes_Check($input);
}

/* ---- integer vectors ---------------------------------------------------------------------- */
%define LH_PY_INT_VECTOR(CTYPE, MINV, MAXV)
%typemap(in) const std::vector<CTYPE> & (std::vector<CTYPE> temp) {
    PyObject *seq = PySequence_Fast($input, "expected a sequence of integers");
    if (!seq) SWIG_fail;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    temp.reserve((size_t)n);
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (PyBool_Check(item) || PyFloat_Check(item)) {
            PyErr_Format(PyExc_TypeError, "expected an integer at index %zd, got %s", i, Py_TYPE(item)->tp_name);
            Py_DECREF(seq);
            SWIG_fail;
        }
        long long v = PyLong_AsLongLong(item);  /* uses __index__ */
        if (v == -1 && PyErr_Occurred()) { Py_DECREF(seq); SWIG_fail; }
        if (v < (long long)(MINV) || v > (long long)(MAXV)) {
            PyErr_Format(PyExc_OverflowError, "value %lld at index %zd does not fit in CTYPE", v, i);
            Py_DECREF(seq);
            SWIG_fail;
        }
        temp.push_back((CTYPE)v);
    }
    Py_DECREF(seq);
    $1 = &temp;
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_POINTER) const std::vector<CTYPE> & {
    $1 = PySequence_Check($input) ? 1 : 0;
}
%typemap(out) std::vector<CTYPE> {
    $result = PyList_New((Py_ssize_t)$1.size());
    if (!$result) SWIG_fail;
    for (size_t i = 0; i < $1.size(); ++i) {
        PyObject *v = PyLong_FromLongLong((long long)($1)[i]);
        if (!v) { Py_DECREF($result); $result = NULL; SWIG_fail; }
        PyList_SET_ITEM($result, (Py_ssize_t)i, v);
    }
}
%enddef
LH_PY_INT_VECTOR(int32_t, INT32_MIN, INT32_MAX)
LH_PY_INT_VECTOR(int64_t, LLONG_MIN, LLONG_MAX)

/* ---- float vectors ------------------------------------------------------------------------ */
%typemap(in) const std::vector<float> & (std::vector<float> temp) {
    bool done = false;
    if (PyObject_CheckBuffer($input)) {
        Py_buffer view;
        if (PyObject_GetBuffer($input, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) == 0) {
            if (view.format && std::strcmp(view.format, "f") == 0 && view.itemsize == (Py_ssize_t)sizeof(float)) {
                temp.resize((size_t)(view.len / view.itemsize));
                if (!temp.empty()) std::memcpy(&temp[0], view.buf, temp.size() * sizeof(float));
                done = true;
            }
            PyBuffer_Release(&view);
        } else {
            PyErr_Clear();
        }
    }
    if (!done) {
        PyObject *seq = PySequence_Fast($input, "expected a float32 buffer or a sequence of numbers");
        if (!seq) SWIG_fail;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        temp.reserve((size_t)n);
        for (Py_ssize_t i = 0; i < n; ++i) {
            double v = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
            if (v == -1.0 && PyErr_Occurred()) { Py_DECREF(seq); SWIG_fail; }
            temp.push_back((float)v);
        }
        Py_DECREF(seq);
    }
    $1 = &temp;
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_POINTER) const std::vector<float> & {
    $1 = (PyObject_CheckBuffer($input) || PySequence_Check($input)) ? 1 : 0;
}
%typemap(out) std::vector<float> {
    $result = PyByteArray_FromStringAndSize($1.empty() ? "" : (const char *)&($1)[0],
                                            (Py_ssize_t)($1.size() * sizeof(float)));
}

%include "../common/longheads.i"

%rename("_set_error_classes") lh_py_set_error_classes;
%exception lh_py_set_error_classes %{
    $action
%}
%nothread lh_py_set_error_classes;
PyObject *lh_py_set_error_classes(PyObject *error, PyObject *invalid_argument);

%rename("_set_enum_classes") lh_py_set_enum_classes;
%exception lh_py_set_enum_classes %{
    $action
%}
%nothread lh_py_set_enum_classes;
PyObject *lh_py_set_enum_classes(PyObject *classes);
