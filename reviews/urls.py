from django.urls import path

from reviews import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
]
