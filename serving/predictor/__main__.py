"""``python -m serving.predictor``: serve the champion on SOCCER_PREDICTOR_PORT."""

from serving.predictor.server import main

if __name__ == "__main__":
    main()
