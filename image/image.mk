# The container image and its proof by running: `include image/image.mk` in the Makefile
# (uses its RUN and setup). See image/README.md and deploy/README.md.
.PHONY: image container-test

image: setup  ## Build the Bento and the image deploy/ runs (bentoml build + containerize; needs Docker)
	$(RUN) -m image.build

container-test: setup  ## Build the image, run it as deploy/'s manifest says, check answers and SIGTERM
	BOXOFFICE_CONTAINER_TEST=1 $(RUN) -m pytest tests/deploy
