from rest_framework.routers import SimpleRouter

from .api import NotificationViewSet

router = SimpleRouter()
router.register("", NotificationViewSet, basename="notification")
urlpatterns = router.urls
