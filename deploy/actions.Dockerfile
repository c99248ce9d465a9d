# The action server (python -m actions.server: token check in front of rasa_sdk).
# Build context: the repository root.
FROM rasa/rasa-sdk:3.6.2

WORKDIR /app
USER root
# content/ reads content.yml with PyYAML and checks it with pydantic, which
# the SDK image lacks; same versions as the project's virtualenv.
RUN pip install --no-cache-dir PyYAML==6.0.4 pydantic==1.10.9
COPY --chown=1001:0 actions ./actions
COPY --chown=1001:0 content ./content
COPY --chown=1001:0 privacy ./privacy
USER 1001

# actions.server listens on 127.0.0.1 unless told otherwise; here the bots
# reach it over the compose network. It still requires ACTION_SERVER_TOKEN.
ENV ACTION_SERVER_HOST=0.0.0.0
EXPOSE 5055
ENTRYPOINT ["python", "-m", "actions.server"]
CMD ["--port", "5055"]
