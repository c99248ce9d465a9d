# One Rasa replica of the scale-out profile (docker-compose.yml runs two).
# Build context: the repository root, after `make train` made the model.
FROM rasa/rasa:3.6.21-full

WORKDIR /app
# Only what the server loads at run time: the model, the cluster endpoints and
# the channels, plus the Python modules they name (custom NLU components,
# add-ons, connectors, and content/ for the fixed messages such as the
# apology). rasa.Dockerfile.dockerignore keeps the rest out.
COPY --chown=1001:0 credentials.yml endpoints-cluster.yml ./
COPY --chown=1001:0 addons ./addons
COPY --chown=1001:0 components ./components
COPY --chown=1001:0 connectors ./connectors
COPY --chown=1001:0 content ./content
COPY --chown=1001:0 privacy ./privacy
COPY --chown=1001:0 models/vssid.tar.gz ./models/vssid.tar.gz

# The project's own runtime libraries that the Rasa image lacks; the same pins
# as requirements.txt (tests/test_deploy.py checks). Rasa's image runs as 1001.
USER root
RUN pip install --no-cache-dir aiohttp-retry==2.9.1 prometheus-client==0.26.0
# The Zalo token file the replicas share (a named volume in docker-compose.yml).
RUN mkdir -p /var/lib/vssid && chown 1001:0 /var/lib/vssid

USER 1001
EXPOSE 5005
# `python -m addons` is the rasa CLI with the add-ons switched on. Settings
# come from the environment variables endpoints-cluster.yml names.
ENTRYPOINT ["python", "-m", "addons"]
CMD ["run", "--model", "models/vssid.tar.gz", "--endpoints", "endpoints-cluster.yml", \
     "--credentials", "credentials.yml", "--port", "5005"]
