cc -o bin/hello src/hello.c
