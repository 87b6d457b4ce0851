# Generate a C source holding the Lua modules as byte arrays, so voidrun
# runs the same library from the build tree and after installation.
# Invoked as: cmake -DOUT=file.c -DSRC=dir -DMODULES=name=source=bytecode,... -P embed.cmake
# (source: the path under lua/ shown in messages; bytecode: the file under
# SRC to embed).
set(body "#include \"embedded.h\"\n\n")
set(table "const struct vr_embedded vr_embedded_modules[] = {\n")
set(i 0)
string(REPLACE "," ";" MODULES "${MODULES}")
foreach(entry IN LISTS MODULES)
  string(REPLACE "=" ";" parts "${entry}")
  list(GET parts 0 name)
  list(GET parts 1 path)
  list(GET parts 2 bytecode)
  file(READ "${SRC}/${bytecode}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND body "static const char m${i}[] = {${bytes}0};\n")
  string(APPEND table "\t{ \"${name}\", \"lua/${path}\", m${i}, ${len} },\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND table "\t{ 0, 0, 0, 0 },\n};\n")
file(WRITE "${OUT}.tmp" "${body}\n${table}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
