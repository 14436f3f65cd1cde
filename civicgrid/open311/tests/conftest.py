from civicgrid.portal.tests.fixtures import *  # noqa: F403
