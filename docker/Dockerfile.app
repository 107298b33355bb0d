# The Python 3.11 side: action server, web app and `marquee` CLI (one image, the command picks the role).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/marquee
COPY requirements/app.txt requirements/app.txt
# torch 2.13.0 from the CPU index keeps the image free of CUDA libraries.
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu -r requirements/app.txt
COPY pyproject.toml ./
COPY marquee marquee
COPY accountdb accountdb
COPY recommender recommender
COPY actions actions
COPY webapp webapp
COPY text_embedding text_embedding
RUN pip install --no-cache-dir --no-deps -e . && useradd --system --home /srv/marquee marquee \
    && mkdir -p /srv/marquee/var && chown marquee /srv/marquee/var
USER marquee
EXPOSE 5055 8000
CMD ["marquee", "web", "--host", "0.0.0.0", "--port", "8000"]
