# The installed library as its users meet it (tests/install/install_test.sh, label install): a
# temporary prefix, C consumers through find_package and pkg-config, embedding with
# add_subdirectory, the installed CLI, pip install into a fresh venv, and the Java and C#
# examples from copies elsewhere. The pip step builds the library once more (with the compiler
# launcher of this build, e.g. ccache, when there is one).
if(LONGHEADS_INSTALL AND LONGHEADS_SANITIZE STREQUAL "")
  set(_lh_install_langs)
  foreach(lang IN ITEMS PYTHON JAVA CSHARP)
    if(LONGHEADS_BINDINGS AND LONGHEADS_${lang})
      string(TOLOWER ${lang} l)
      list(APPEND _lh_install_langs ${l})
    endif()
  endforeach()
  string(REPLACE ";" "," _lh_install_langs "${_lh_install_langs}")
  set(_lh_pip_cmake_args "")
  foreach(lang IN ITEMS C CXX)
    if(CMAKE_${lang}_COMPILER_LAUNCHER)
      string(APPEND _lh_pip_cmake_args " -DCMAKE_${lang}_COMPILER_LAUNCHER=${CMAKE_${lang}_COMPILER_LAUNCHER}")
    endif()
  endforeach()
  add_test(NAME install
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/install_test.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR}
            ${PROJECT_SOURCE_DIR}/models/stories260K.gguf "${_lh_install_langs}")
  set_tests_properties(install PROPERTIES LABELS "install" TIMEOUT 900 RUN_SERIAL TRUE
    ENVIRONMENT "LONGHEADS_PIP_CMAKE_ARGS=${_lh_pip_cmake_args}")
endif()
