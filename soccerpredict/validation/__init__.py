"""The four data validation gates (Great Expectations 1.x) that guard the training pipeline."""
