# One static library per module, linked by the module table of docs/ARCHITECTURE.md ("Module
# dependencies"), which scripts/check-layering reads too: the table is the one source of the
# allowed arrows. Each library sees only its own headers and those of the modules it may use
# (directly or through them): include/lumos/<m> is exposed through a folder of its own,
# <build>/module-include/<m>/lumos/<m>, so an include against the table does not compile.
#
# Before calling lumos_add_module_libraries, set for every module m but the host:
#   LUMOS_<m>_SOURCES  its sources (paths relative to the project root)
#   LUMOS_<m>_LIBS     the external libraries its own sources use

# Reads the table: sets LUMOS_MODULES (in table order) and LUMOS_<m>_USES.
function(lumos_read_module_table)
  set(doc ${PROJECT_SOURCE_DIR}/docs/ARCHITECTURE.md)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  execute_process(
    COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/check-layering
            --root ${PROJECT_SOURCE_DIR} --print-table
    OUTPUT_VARIABLE table ERROR_VARIABLE problem RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot read the module table of ${doc}: ${problem}")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${doc})
  string(REPLACE "\n" ";" rows "${table}")
  set(modules)
  foreach(row IN LISTS rows)
    if(row MATCHES "^([a-z_]+):(.*)$")
      list(APPEND modules ${CMAKE_MATCH_1})
      string(REPLACE "," ";" uses "${CMAKE_MATCH_2}")
      set(LUMOS_${CMAKE_MATCH_1}_USES ${uses} PARENT_SCOPE)
    endif()
  endforeach()
  set(LUMOS_MODULES ${modules} PARENT_SCOPE)
endfunction()

# The folder through which module m's public headers are seen.
function(lumos_module_include_dir m out)
  set(dir ${CMAKE_BINARY_DIR}/module-include/${m})
  if(NOT EXISTS ${dir}/lumos/${m})
    file(MAKE_DIRECTORY ${dir}/lumos)
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/include/lumos/${m} ${dir}/lumos/${m} SYMBOLIC)
  endif()
  set(${out} ${dir} PARENT_SCOPE)
endfunction()

# Makes lumos_<m><suffix> for every module but the host; ARGN: extra compile and link options
# for all of them (the sanitizer build passes its flags).
function(lumos_add_module_libraries suffix)
  foreach(m IN LISTS LUMOS_MODULES)
    if(m STREQUAL "host")
      continue()
    endif()
    if(NOT LUMOS_${m}_SOURCES)
      message(FATAL_ERROR "module '${m}' of docs/ARCHITECTURE.md has no LUMOS_${m}_SOURCES in CMakeLists.txt")
    endif()
    set(target lumos_${m}${suffix})
    list(TRANSFORM LUMOS_${m}_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/ OUTPUT_VARIABLE sources)
    add_library(${target} STATIC ${sources})
    lumos_module_include_dir(${m} include_dir)
    target_include_directories(${target} PUBLIC ${include_dir})
    set(uses)
    foreach(u IN LISTS LUMOS_${m}_USES)
      list(APPEND uses lumos_${u}${suffix})
    endforeach()
    target_link_libraries(${target} PUBLIC ${uses} ${LUMOS_${m}_LIBS})
    target_compile_definitions(${target} PRIVATE
      LUMOS_VERSION="${PROJECT_VERSION}"
      LUMOS_DEFAULT_WASMEDGE_ROOT="${LUMOS_WASMEDGE_ROOT}"
      LUMOS_DEFAULT_CRUN_ROOT="${LUMOS_CRUN_ROOT}"
      LUMOS_DEFAULT_LIBCXX_ROOT="${LUMOS_LIBCXX_ROOT}"
      LUMOS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    if(ARGN)
      target_compile_options(${target} PUBLIC ${ARGN})
      target_link_options(${target} PUBLIC ${ARGN})
    endif()
    lumos_setup_target(${target})
  endforeach()
endfunction()
