# Shortcuts; the scripts do the work (and install what is missing).
.PHONY: demo serve test web bench-browser
demo:
	cargo run --release -p btlab-cli -- run
serve:
	scripts/serve.sh
web:
	scripts/build-web.sh
test:
	scripts/test.sh
bench-browser: web
	node scripts/bench-browser.mjs
