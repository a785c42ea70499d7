# longheads_python_site(OUT PYTHON): where PYTHON looks for packages under an install prefix,
# relative to the prefix: its default scheme's platlib. Debian's /usr/bin/python3 uses the scheme
# posix_local (/usr/local/lib/python3.X/dist-packages), so lib/python3.X/dist-packages for the
# prefix /usr/local; a venv's python gives lib/python3.X/site-packages. OUT is left empty when
# PYTHON cannot tell.
function(longheads_python_site out_var python)
  execute_process(
    COMMAND ${python} -c [=[
import sysconfig
get_scheme = getattr(sysconfig, "get_default_scheme", None) or sysconfig._get_default_scheme
path = sysconfig.get_path("platlib", get_scheme(), vars={"platbase": "/P", "base": "/P"})
# posix_local puts "local/" after the base: that directory is the prefix /usr/local itself.
print(next(path[len(head):] for head in ("/P/local/", "/P/") if path.startswith(head)))
]=]
    OUTPUT_VARIABLE site OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0)
    set(site "")
  endif()
  set(${out_var} "${site}" PARENT_SCOPE)
endfunction()
